package com.b2c;

import com.sun.jna.ptr.PointerByReference;

import java.util.Objects;

/** CRM Open API request signing and webhook verification. */
public final class CrmOpenApi {
    private CrmOpenApi() {}

    /**
     * The {@code signature} header for a request: {@code sha256=<hex>} for POST/PATCH/PUT with a
     * non-empty body, "" otherwise (send no header then). Sign the exact bytes you send.
     * {@code method} must be GET, POST, PUT, PATCH or DELETE (any case, nothing around it: "FOO"
     * and "POST " are refused, a typo never yields an unsigned request); that and an empty or
     * header-unsafe API key are an {@link InvalidArgumentException} (INVALID_ARGUMENT).
     */
    public static String signRequest(String apiKey, String method, byte[] body) {
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(method, "method");
        byte[] b = body == null ? new byte[0] : body;
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_crm_sign_request(apiKey, method, b, new B2cLibrary.SizeT(b.length), out, err), err);
        return Ffi.take(out);
    }

    /**
     * Checks a request's {@code signature} header in constant time: false when it does not
     * match. An empty or header-unsafe API key is an {@link InvalidArgumentException}.
     */
    public static boolean verifySignature(String apiKey, byte[] body, String signature) {
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(signature, "signature");
        PointerByReference err = new PointerByReference();
        return Verdicts.verdict(Ffi.lib().b2c_crm_verify_signature(apiKey, body, new B2cLibrary.SizeT(body.length),
            signature, err), err);
    }

    /**
     * Checks a webhook's {@code X-Crm-Signature} (with or without {@code sha256=}): false when it
     * does not match. An empty secret is an {@link InvalidArgumentException} (anyone can compute
     * an HMAC under an empty key).
     */
    public static boolean verifyWebhook(byte[] secret, byte[] body, String signature) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(signature, "signature");
        PointerByReference err = new PointerByReference();
        return Verdicts.verdict(Ffi.lib().b2c_webhook_verify(secret, new B2cLibrary.SizeT(secret.length), body,
            new B2cLibrary.SizeT(body.length), signature, err), err);
    }
}
