package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A B2COPY client for one service admin (configuration, key, tokens, keep-alive connections).
 * Thread-safe: share one instance between threads. {@link #close()} waits for calls running on
 * other threads.
 *
 * <pre>{@code
 * try (Client c = new Client(Map.of("base_url", url, "admin_id", 42, "device_ip", "10.0.0.1",
 *                                   "key_id", "kid1", "private_key_path", "/etc/b2c/key.pem"))) {
 *     FeeResult r = c.feeProcess("123456", "withdrawal-1", Duration.ofSeconds(30), null);
 * }
 * }</pre>
 */
public final class Client extends NativeHandle {

    /** From a configuration map (see {@code b2c_client_new} for the keys). */
    public Client(Map<String, ?> config) {
        this(Json.encode(Objects.requireNonNull(config, "config")));
    }

    /** From a configuration JSON object. Throws {@link InvalidArgumentException} (CONFIG,
     * INSECURE_URL) or {@link KeyFormatException}. No network traffic happens here. */
    public Client(String configJson) {
        this(SharedHandles.own(create(configJson)));
    }

    private Client(SharedHandles.Opened o) {
        super("Client", o.ptr, Ffi.lib()::b2c_client_free);
        this.state = o.state;
        retainUntilFreed(o.state);
        afterFree(o.afterFree);
    }

    /**
     * A handle to the process-wide shared client of this configuration (see
     * {@link #shared(String)}).
     */
    public static Client shared(Map<String, ?> config) {
        return shared(Json.encode(Objects.requireNonNull(config, "config")));
    }

    /**
     * A handle to the process-wide shared client of this configuration: the same configuration,
     * whatever the order of its keys, is one native client, with its tokens and keep-alive
     * connections, for every caller in the process. Each call returns a new {@code Client};
     * {@link #close()} releases that handle only. The library keeps the native client after
     * the last handle is closed, for the next {@code shared} call with the same configuration,
     * until {@link B2c#clearShared()} or the end of the process. A logger
     * ({@link #setLogger}) or a token store ({@link #setTokenStore}) set through one handle
     * applies to every handle of that client. Throws as {@link #Client(String)}.
     */
    public static Client shared(String configJson) {
        return new Client(SharedHandles.shared("client", configJson, Client::createShared));
    }

    /**
     * Shares this client's tokens through {@code store} (with every process and handle using
     * the same store and credential); {@code null} detaches any store, a configured
     * {@code token_store} too (tokens then live in this client only). Set it before the first
     * call that needs a token. The store stays referenced until the native client is freed
     * (for a shared client: until {@link B2c#clearShared()} drops it), even once replaced or
     * detached: a call that started before may still use it. See {@link TokenStore}.
     */
    public void setTokenStore(TokenStore store) {
        state.setTokenStore(this, Ffi.lib()::b2c_client_set_token_store, store);
    }

    /**
     * Routes this client's log events to {@code logger} (instead of the process-wide
     * {@code Logger.getLogger("b2c")}) up to {@code level}: FINE includes one event per HTTP
     * exchange, INFO the token exchanges, 401s and retries, WARNING what an operator should
     * look at; {@code Level.OFF} silences this client. The logger's own level and handlers
     * filter as usual. {@code logger == null} removes it ({@code level} is then ignored) and
     * the process-wide routing applies again. Handlers run on the thread that made the call;
     * they must not call this client (other than {@link #stats()}); an exception they throw
     * drops that one event.
     */
    public void setLogger(Logger logger, Level level) {
        LogRouting.setHandleLogger(this, state.logRouter, Ffi.lib()::b2c_client_set_log_callback, logger, level);
    }

    /** This client's statistics since creation (requests, retries by cause, token exchanges,
     * 401s, connections, latency per endpoint). */
    public Stats stats() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_client_stats(p, out, err), err);
            return Stats.fromLibrary(Ffi.take(out), "b2c_client_stats");
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
     * Any other B2COPY request, with this client's access token (renewed ahead of expiry; a
     * 401 refreshes, a failed refresh authenticates again, a 401 on the renewed token is an
     * {@link AuthException} UNAUTHORIZED).
     *
     * @param method     GET, POST, PUT, PATCH or DELETE
     * @param path       relative to base_url, starting with a single {@code /}, with an optional
     *                   query; visible ASCII, no {@code #}, no {@code .}/{@code ..} segments
     * @param body       sent as {@code application/json} when not null or empty
     * @param idempotent null: the method's default (GET, PUT, DELETE are retried on transport
     *                   failures, 5xx and 429 within call_deadline_ms; POST and PATCH only when
     *                   the connection could not be made); true/false overrides it
     * @return every final HTTP answer, whatever its status (a 404 is a response)
     * @throws InvalidArgumentException a bad method or path (nothing was sent)
     * @throws NetworkException         network, TLS; {@link TimeoutException} the deadline
     * @throws ProtocolException        an answer over max_response_bytes
     * @throws AuthException            401 after refresh and re-authentication
     */
    public Response call(String method, String path, byte[] body, Boolean idempotent) {
        B2cLibrary lib = Ffi.lib();
        return Calls.call(this, lib::b2c_client_call, lib::b2c_client_call_with, method, path, body, idempotent, null);
    }

    /**
     * A valid access token (renewed ahead of expiry as for fee calls) for B2COPY requests made
     * with another HTTP stack ({@code Authorization: Bearer <token>}). It is a bearer
     * credential: never log it. After a 401 from such a request call {@link #authenticate()}:
     * the library cannot see that answer.
     */
    public String accessToken() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_client_access_token(p, out, err), err);
            return Ffi.take(out);
        });
    }

    /** This native client's log callback and stores (shared by every handle of a shared client). */
    private final HandleState state;

    private static Pointer create(String json) {
        Objects.requireNonNull(json, "configJson");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_client_new(json, out, err), err);
        return out.getValue();
    }

    private static Pointer createShared(String json) {
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_client_shared(json, out, err), err);
        return out.getValue();
    }

    /** Exchanges a fresh external JWT for a token pair. Optional: fee calls authenticate on
     * first use. */
    public void authenticate() {
        use(p -> {
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_authenticate(p, err), err);
            return null;
        });
    }

    /** Mints an external JWT with the client's key and claims. */
    public String mintJwt() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_client_mint_jwt(p, out, err), err);
            return Ffi.take(out);
        });
    }

    /** One request (transient failures retried): PENDING or SUCCESS. */
    public FeeResult feeProcess(String accountLogin, String requestId) {
        return feeProcess(accountLogin, requestId, null, null);
    }

    /**
     * Charges the fees due for withdrawal {@code requestId} on {@code accountLogin}.
     *
     * @param wait     null or zero: one request, returns PENDING or SUCCESS. Otherwise polls
     *                 until a final status or until {@code wait} has passed (capped at
     *                 2^32-1 ms; at least 1 ms).
     * @param listener may be null; called on this thread after each answer
     * @return SUCCESS, or PENDING in one-shot mode
     * @throws FeeException          the fee ended in ERROR (message has the server's details)
     * @throws StillPendingException the wait ran out
     * @throws CancelledException    the listener returned false
     */
    public FeeResult feeProcess(String accountLogin, String requestId, Duration wait,
                                ProgressListener listener) {
        Objects.requireNonNull(accountLogin, "accountLogin");
        Objects.requireNonNull(requestId, "requestId");
        int waitMs = waitMillis(wait);
        Trampoline cb = listener == null ? null : new Trampoline(listener);
        IntByReference feeStatus = new IntByReference(0);
        PointerByReference err = new PointerByReference();
        int rc;
        try {
            rc = use(p -> Ffi.lib().b2c_fee_process(p, accountLogin, requestId, waitMs, cb, null,
                feeStatus, err));
        } finally {
            // JNA frees a callback's native stub when the Java object is collected: keep it
            // strongly reachable until the native call has returned.
            Reference.reachabilityFence(cb);
        }
        FeeStatus fs = FeeStatus.of(feeStatus.getValue());
        if (cb != null && cb.thrown != null) {
            Ffi.discard(err);
            throwUnchecked(cb.thrown);
        }
        Ffi.check(rc, err, fs);
        return new FeeResult(accountLogin, requestId, fs);
    }

    static int waitMillis(Duration wait) {
        if (wait == null || wait.isZero()) {
            return 0;
        }
        if (wait.isNegative()) {
            throw new IllegalArgumentException("negative wait: " + wait);
        }
        long ms;
        try {
            ms = wait.toMillis();
        } catch (ArithmeticException e) {
            ms = Long.MAX_VALUE;
        }
        ms = Math.max(1, Math.min(ms, 0xFFFF_FFFFL));
        return (int) ms; // uint32_t: the low 32 bits
    }

    /** Adapts a ProgressListener to the C callback; remembers what the listener threw. */
    private static final class Trampoline implements B2cLibrary.ProgressCallback {
        private final ProgressListener listener;
        Throwable thrown;

        Trampoline(ProgressListener listener) {
            this.listener = listener;
        }

        @Override
        public int invoke(Pointer userdata, int feeStatus, int attempt, long elapsedMs) {
            if (thrown != null) {
                return 1;
            }
            try {
                FeeProgress p = new FeeProgress(feeStatus, Integer.toUnsignedLong(attempt),
                    Duration.ofMillis(elapsedMs < 0 ? Long.MAX_VALUE : elapsedMs));
                return listener.onProgress(p) ? 0 : 1;
            } catch (Throwable t) {
                // An exception must not unwind through native frames: cancel and rethrow later.
                thrown = t;
                return 1;
            }
        }
    }

    private static void throwUnchecked(Throwable t) {
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        throw new RuntimeException(t);
    }
}
