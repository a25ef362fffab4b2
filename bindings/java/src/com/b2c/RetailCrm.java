package com.b2c;

import com.sun.jna.ptr.PointerByReference;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** RetailCRM module helpers: register token, answers, module registration. */
public final class RetailCrm {
    private RetailCrm() {}

    /**
     * hex HMAC-SHA256(key = module secret, message = apiKey). An empty secret or API key is an
     * {@link InvalidArgumentException} (INVALID_ARGUMENT).
     */
    public static String token(String secret, String apiKey) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(apiKey, "apiKey");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_token(secret, apiKey, out, err), err);
        return Ffi.take(out);
    }

    public static boolean verifyToken(String secret, String apiKey, String token) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(token, "token");
        PointerByReference err = new PointerByReference();
        return Verdicts.verdict(Ffi.lib().b2c_retailcrm_verify_token(secret, apiKey, token, err), err);
    }

    /** {@code scopesJson}: a JSON array of strings. */
    public static String configResponse(String scopesJson, String registerUrl) {
        Objects.requireNonNull(scopesJson, "scopesJson");
        Objects.requireNonNull(registerUrl, "registerUrl");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_config_response(scopesJson, registerUrl, out, err), err);
        return Ffi.take(out);
    }

    public static String registerSuccess(String accountUrl) {
        Objects.requireNonNull(accountUrl, "accountUrl");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_register_success(accountUrl, out, err), err);
        return Ffi.take(out);
    }

    public static String errorResponse(String message) {
        Objects.requireNonNull(message, "message");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_error_response(message, out, err), err);
        return Ffi.take(out);
    }

    /** Registers or updates the module. {@code httpConfigJson} may be null. A refusal by the
     * system is a {@link RemoteException} carrying its errorMsg. */
    public static void editModule(String systemUrl, String apiKey, String moduleJson, String httpConfigJson) {
        Objects.requireNonNull(systemUrl, "systemUrl");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(moduleJson, "moduleJson");
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_edit_module(systemUrl, apiKey, moduleJson, httpConfigJson, err), err);
    }

    /** The whole register step; returns the JSON answer to send with HTTP 200. */
    public static String handleRegister(String secret, byte[] formBody, String moduleJson, String httpConfigJson) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(formBody, "formBody");
        Objects.requireNonNull(moduleJson, "moduleJson");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_handle_register(secret, formBody, new B2cLibrary.SizeT(formBody.length),
            moduleJson, httpConfigJson, out, err), err);
        return Ffi.take(out);
    }

    public static String handleRegister(String secret, String formBody, String moduleJson, String httpConfigJson) {
        return handleRegister(secret, formBody.getBytes(StandardCharsets.UTF_8), moduleJson, httpConfigJson);
    }

    /**
     * The register step for a module that serves many CRM accounts: as
     * {@link #handleRegister(String, byte[], String, String)} (the token is verified first: a
     * wrong one gets an error answer and no outgoing call), with the account's own module
     * fields laid over {@code moduleJson}'s top-level fields, and everything the module must
     * store for the account.
     *
     * @param accountJson    null, or a JSON object such as
     *                       {@code {"clientId": "acct-42", "accountUrl": "https://module.example/acct/42"}}
     * @param httpConfigJson null (defaults), or transport keys and {@code deadline_ms}
     * @throws InvalidArgumentException module or account JSON that is not valid
     */
    public static Registration registerAccount(String secret, byte[] formBody, String moduleJson, String accountJson,
                                               String httpConfigJson) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(formBody, "formBody");
        Objects.requireNonNull(moduleJson, "moduleJson");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_retailcrm_register_account(secret, formBody, new B2cLibrary.SizeT(formBody.length),
            moduleJson, accountJson, httpConfigJson, out, err), err);
        return Registration.fromLibrary(Ffi.take(out));
    }

    /** {@link #registerAccount(String, byte[], String, String, String)} with a form body given as text (UTF-8). */
    public static Registration registerAccount(String secret, String formBody, String moduleJson, String accountJson,
                                               String httpConfigJson) {
        Objects.requireNonNull(formBody, "formBody");
        return registerAccount(secret, formBody.getBytes(StandardCharsets.UTF_8), moduleJson, accountJson,
            httpConfigJson);
    }

    /** {@link #registerAccount(String, byte[], String, String, String)} with the default HTTP configuration. */
    public static Registration registerAccount(String secret, String formBody, String moduleJson, String accountJson) {
        return registerAccount(secret, formBody, moduleJson, accountJson, null);
    }
}
