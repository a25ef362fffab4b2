package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One B2BINPAY credential and its tokens. Thread-safe. */
public final class B2binpay extends NativeHandle {

    public B2binpay(Map<String, ?> config) {
        this(Json.encode(Objects.requireNonNull(config, "config")));
    }

    /** Keys: base_url, login, password; refresh_margin_s, deadline_ms, token_store and
     * transport keys. */
    public B2binpay(String configJson) {
        this(SharedHandles.own(create(configJson)));
    }

    private B2binpay(SharedHandles.Opened o) {
        super("B2binpay", o.ptr, Ffi.lib()::b2c_b2binpay_free);
        this.state = o.state;
        retainUntilFreed(o.state);
        afterFree(o.afterFree);
    }

    /** A handle to the process-wide shared B2BINPAY handle of this configuration (see
     * {@link #shared(String)}). */
    public static B2binpay shared(Map<String, ?> config) {
        return shared(Json.encode(Objects.requireNonNull(config, "config")));
    }

    /**
     * A handle to the process-wide shared B2BINPAY handle of this configuration (any key
     * order): one token pair for every caller in the process. Same rules as
     * {@link Client#shared(String)}: each call returns a new object whose {@link #close()}
     * releases that handle only; the native handle lives on until {@link B2c#clearShared()}
     * drops it once no handle holds it; a logger or token store set through one handle applies
     * to all of them.
     */
    public static B2binpay shared(String configJson) {
        return new B2binpay(SharedHandles.shared("b2binpay", configJson, B2binpay::createShared));
    }

    /**
     * Shares this handle's tokens through {@code store} (null detaches any store, a configured
     * {@code token_store} too). With a store, a single-use refresh token is sent only under
     * the store's lock, after the store has recorded it as taken. Same rules as
     * {@link Client#setTokenStore}.
     */
    public void setTokenStore(TokenStore store) {
        state.setTokenStore(this, Ffi.lib()::b2c_b2binpay_set_token_store, store);
    }

    /**
     * Routes this handle's log events to {@code logger} (instead of the process-wide
     * {@code Logger.getLogger("b2c")}) up to {@code level}; the suspicious refresh is a
     * WARNING, logins and refreshes INFO, HTTP exchanges FINE. {@code Level.OFF} silences this
     * handle (the suspicious event included). {@code logger == null} removes it and the
     * process-wide routing applies again. Same rules as {@link Client#setLogger}.
     */
    public void setLogger(Logger logger, Level level) {
        LogRouting.setHandleLogger(this, state.logRouter, Ffi.lib()::b2c_b2binpay_set_log_callback, logger, level);
    }

    /** This handle's statistics since creation (endpoints {@code token}, {@code token_refresh}). */
    public Stats stats() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_b2binpay_stats(p, out, err), err);
            return Stats.fromLibrary(Ffi.take(out), "b2c_b2binpay_stats");
        });
    }

    /** {@link #call(String, String, byte[], Boolean)} without a body, with the method's retry default. */
    public Response call(String method, String path) {
        return call(method, path, null, null);
    }

    /** {@link #call(String, String, byte[], Boolean)} with the method's retry default. */
    public Response call(String method, String path, byte[] body) {
        return call(method, path, body, null);
    }

    /**
     * Any other B2BINPAY API request (payouts, deposits, wallets): {@code method} on
     * {@code path} (relative to base_url, e.g. {@code /api/v3/wallet/?page=1}), {@code body}
     * sent as JSON:API ({@code application/vnd.api+json}) when not null or empty, with the
     * access token of {@link #accessToken()}'s rules; a 401 renews it once and sends again (a
     * second 401 is an {@link AuthException} UNAUTHORIZED). Every final HTTP answer is a
     * {@link Response}; {@code idempotent} as in {@link Client#call(String, String, byte[], Boolean)}.
     */
    public Response call(String method, String path, byte[] body, Boolean idempotent) {
        B2cLibrary lib = Ffi.lib();
        return Calls.call(this, lib::b2c_b2binpay_call, lib::b2c_b2binpay_call_with, method, path, body, idempotent,
            null);
    }

    /** This native handle's log callback and stores (shared by every handle of a shared one). */
    private final HandleState state;

    private static Pointer create(String json) {
        Objects.requireNonNull(json, "configJson");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_b2binpay_new(json, out, err), err);
        return out.getValue();
    }

    private static Pointer createShared(String json) {
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_b2binpay_shared(json, out, err), err);
        return out.getValue();
    }

    public void login() {
        use(p -> {
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_b2binpay_login(p, err), err);
            return null;
        });
    }

    /**
     * Refreshes the token pair now. A rejected unexpired refresh token (a suspicious event) drops
     * the tokens and logs in again; it shows in {@link #counters()}, not in a later
     * {@link #accessToken()}.
     */
    public void refresh() {
        use(p -> {
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_b2binpay_refresh(p, err), err);
            return null;
        });
    }

    /**
     * A valid access token, logging in or refreshing ahead of expiry as needed: a token of
     * lifetime L is renewed min(refresh_margin_s, L/5) before it expires. {@code suspicious()}
     * is true only when this call's own renewal met a rejected unexpired refresh token (an
     * event, reported once; see {@link AccessToken}).
     */
    public AccessToken accessToken() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            IntByReference susp = new IntByReference(0);
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_b2binpay_access_token(p, out, susp, err), err);
            return new AccessToken(Ffi.take(out), susp.getValue() != 0);
        });
    }

    /** Logins, refreshes and suspicious refresh rejections since creation (the history of the events). */
    public B2binpayCounters counters() {
        return use(p -> {
            LongByReference a = new LongByReference();
            LongByReference b = new LongByReference();
            LongByReference c = new LongByReference();
            Ffi.check(Ffi.lib().b2c_b2binpay_counters(p, a, b, c), null);
            return new B2binpayCounters(a.getValue(), b.getValue(), c.getValue());
        });
    }

    /** Verifies a v2 deposit callback signature in constant time. */
    public static boolean verifyCallback(String login, String password, String status, String amount,
                                         String trackingId, String metaTime, String sign) {
        Objects.requireNonNull(login, "login");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(trackingId, "trackingId");
        Objects.requireNonNull(metaTime, "metaTime");
        Objects.requireNonNull(sign, "sign");
        PointerByReference err = new PointerByReference();
        return Verdicts.verdict(Ffi.lib().b2c_b2binpay_verify_callback(login, password, status, amount, trackingId,
            metaTime, sign, err), err);
    }
}
