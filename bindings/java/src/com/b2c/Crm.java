package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A CRM Open API handle: one base URL and API key, its keep-alive connections, log routing and
 * statistics. Every call is signed ({@code key: <API key>} and, for POST, PUT and PATCH with a
 * body, {@code signature: sha256=<HMAC of exactly the bytes sent>}). Thread-safe;
 * {@link #close()} waits for calls running on other threads, and a handle never closed is
 * freed once unreachable (its API key is zeroed).
 *
 * <p>The body: the vendor's samples sign {@code JSON.stringify(JSON.parse(body))}, so by default
 * the handle SENDS that normal form of a JSON body (no whitespace, JSON.stringify's escaping
 * and numbers) and signs it. A body the normal form would change in value (a big integer, a
 * long decimal, a duplicate key) or that is not JSON is an {@link InvalidArgumentException}
 * naming raw mode; raw mode ({@code "raw_body": true} in the configuration, or
 * {@code raw = true} on one call) sends and signs the bytes untouched.
 *
 * <pre>{@code
 * try (Crm crm = new Crm(Map.of("base_url", "https://crm.example.com", "api_key", key))) {
 *     Response r = crm.call("POST", "/api/clients", "{\"name\": \"J\"}".getBytes(UTF_8));
 * }
 * }</pre>
 */
public final class Crm extends NativeHandle {

    /** From a configuration map (keys: see {@link #Crm(String)}). */
    public Crm(Map<String, ?> config) {
        this(Json.encode(Objects.requireNonNull(config, "config")));
    }

    /**
     * From a configuration JSON object: {@code base_url}, {@code api_key} (required);
     * {@code deadline_ms} (30000: one call with its retries), {@code raw_body} (false), and the
     * transport keys of the B2COPY client. Unknown keys are an {@link InvalidArgumentException}
     * (CONFIG). No network traffic happens here.
     */
    public Crm(String configJson) {
        this(SharedHandles.own(create(configJson)));
    }

    private Crm(SharedHandles.Opened o) {
        super("Crm", o.ptr, Ffi.lib()::b2c_crm_free);
        this.state = o.state;
        retainUntilFreed(o.state);
        afterFree(o.afterFree);
    }

    /** This handle's log callback. */
    private final HandleState state;

    private static Pointer create(String json) {
        Objects.requireNonNull(json, "configJson");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_crm_new(json, out, err), err);
        return out.getValue();
    }

    /** {@link #call(String, String, byte[], Boolean, Boolean)} without a body, with the defaults. */
    public Response call(String method, String path) {
        return call(method, path, null, null, null);
    }

    /** {@link #call(String, String, byte[], Boolean, Boolean)} with the defaults. */
    public Response call(String method, String path, byte[] body) {
        return call(method, path, body, null, null);
    }

    /** {@link #call(String, String, byte[], Boolean, Boolean)} with the handle's body mode. */
    public Response call(String method, String path, byte[] body, Boolean idempotent) {
        return call(method, path, body, idempotent, null);
    }

    /**
     * A signed CRM Open API call.
     *
     * @param method     GET, POST, PUT, PATCH or DELETE; GET and DELETE take no body
     * @param path       relative to base_url, with an optional query
     * @param body       null or empty: none
     * @param idempotent null: the method's retry default (as {@link Client#call(String, String, byte[], Boolean)})
     * @param raw        null: the handle's {@code raw_body} setting; true: the bytes sent and
     *                   signed untouched; false: the JSON normal form
     * @return every final HTTP answer, whatever its status
     * @throws InvalidArgumentException a bad method or path, a body with GET or DELETE, or a
     *                                  body the normal form cannot carry (the message names raw mode)
     * @throws AuthException            403 {@code invalid_api_key} (AUTH_REJECTED)
     * @throws SignatureException       403 {@code invalid_signature} (SIGNATURE_INVALID)
     */
    public Response call(String method, String path, byte[] body, Boolean idempotent, Boolean raw) {
        B2cLibrary lib = Ffi.lib();
        return Calls.call(this, lib::b2c_crm_call, lib::b2c_crm_call_with, method, path, body, idempotent, raw);
    }

    /**
     * Routes this handle's log events to {@code logger} (instead of the process-wide
     * {@code Logger.getLogger("b2c")}) up to {@code level}; {@code null} removes it. Same rules
     * as {@link Client#setLogger}.
     */
    public void setLogger(Logger logger, Level level) {
        LogRouting.setHandleLogger(this, state.logRouter, Ffi.lib()::b2c_crm_set_log_callback, logger, level);
    }

    /** This handle's statistics since creation (requests, retries, connections; latency
     * endpoint {@code call}). */
    public Stats stats() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_crm_stats(p, out, err), err);
            return Stats.fromLibrary(Ffi.take(out), "b2c_crm_stats");
        });
    }
}
