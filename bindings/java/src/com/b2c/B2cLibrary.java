package com.b2c;

import com.sun.jna.Callback;
import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * Raw JNA mapping of every export in {@code include/b2c.h}. Prefer the typed wrappers
 * ({@link Client}, {@link Key}, {@link Jwt}, {@link Signature}); this interface is public for
 * tests and for exports not wrapped yet.
 *
 * <p>Type mapping: {@code b2c_status}/{@code int32_t}/{@code uint32_t} are Java {@code int}
 * (unsigned values are reinterpreted), {@code uint64_t} is {@code long}, {@code size_t} is
 * {@link SizeT}, handles are {@link Pointer}, {@code char **} outputs are
 * {@link PointerByReference}. Library-owned strings are read as {@link Pointer} and freed with
 * {@link #b2c_string_free}; never map them as {@code String} return values (JNA would copy and
 * leak them). {@code const char *} inputs are {@code String}, encoded as UTF-8.
 *
 * <p>Loading: the {@code B2C_LIBRARY} path (or {@code -Db2c.library}), else the copy bundled
 * in the jar (resource {@code linux-x86-64/libb2c.so}), else the system loader by SONAME
 * ({@code libb2c.so.0.1}) and then {@code libb2c.so}; see {@link #load()}.
 *
 * <p>New protocols (CRM Open API, B2BINPAY, RetailCRM) add their exports in their own section
 * below and a wrapper class beside {@link Client}; errors go through {@link Ffi#check}.
 */
public interface B2cLibrary extends Library {

    /** {@code size_t}: pointer-sized unsigned integer. */
    final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SizeT() {
            this(0);
        }

        public SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }

    /**
     * {@code b2c_progress_cb}: called on the calling thread; return 0 to go on, non-zero to
     * cancel. JNA frees the native trampoline once the Java object is garbage collected, so
     * the caller must keep it strongly reachable for the whole native call.
     */
    interface ProgressCallback extends Callback {
        int invoke(Pointer userdata, int feeStatus, int attempt, long elapsedMs);
    }

    /**
     * {@code b2c_log_callback}: {@code params} points to a {@code b2c_log_params}, valid only
     * during the call (copy the strings). Called on the thread that made the library call.
     * It must not throw (an exception would unwind through native frames), and JNA frees the
     * native trampoline once the Java object is garbage collected, so keep it strongly
     * reachable for as long as it is installed. The typed wrappers
     * ({@link B2c#setLogLevel}, {@link Client#setLogger}, {@link B2binpay#setLogger}) do both.
     */
    interface LogCallback extends Callback {
        void invoke(Pointer userdata, Pointer params);
    }

    /**
     * {@code b2c_token_store.load}: copy the value saved under {@code key} (NUL-terminated
     * UTF-8) into {@code buf} ({@code bufLen} bytes), set {@code *outLen}; return a
     * {@code b2c_store_result}. The four store callbacks may be called from several threads at
     * once; they must not throw, and must stay strongly reachable while installed. The typed
     * wrapper ({@link TokenStore}, {@link Client#setTokenStore}) does both.
     */
    interface StoreLoadCallback extends Callback {
        int invoke(Pointer userdata, Pointer key, Pointer buf, SizeT bufLen, Pointer outLen);
    }

    /** {@code b2c_token_store.save}: store {@code valueLen} bytes under {@code key}; 0 or -1. */
    interface StoreSaveCallback extends Callback {
        int invoke(Pointer userdata, Pointer key, Pointer value, SizeT valueLen);
    }

    /** {@code b2c_token_store.lock}: {@code timeoutMs} and {@code leaseMs} are {@code uint32_t}
     * (reinterpret with {@link Integer#toUnsignedLong}); 0, 3 (lock timeout) or -1. */
    interface StoreLockCallback extends Callback {
        int invoke(Pointer userdata, Pointer key, int timeoutMs, int leaseMs);
    }

    /** {@code b2c_token_store.unlock}. */
    interface StoreUnlockCallback extends Callback {
        void invoke(Pointer userdata, Pointer key);
    }

    /**
     * {@code b2c_token_store}: passed by reference to {@code b2c_*_set_token_store}, which copies
     * it (the callbacks, not the struct, must outlive the call: JNA frees a callback's native
     * stub once the Java object is collected).
     */
    @Structure.FieldOrder({"struct_size", "userdata", "load", "save", "lock", "unlock"})
    final class TokenStoreStruct extends Structure {
        public SizeT struct_size;
        public Pointer userdata;
        public StoreLoadCallback load;
        public StoreSaveCallback save;
        public StoreLockCallback lock;
        public StoreUnlockCallback unlock;

        public TokenStoreStruct() {
            super();
        }

        /** A struct with {@code struct_size} set to this layout's size. */
        public TokenStoreStruct(Pointer userdata, StoreLoadCallback load, StoreSaveCallback save,
                                StoreLockCallback lock, StoreUnlockCallback unlock) {
            super();
            this.userdata = userdata;
            this.load = load;
            this.save = save;
            this.lock = lock;
            this.unlock = unlock;
            this.struct_size = new SizeT(size());
            write();
        }
    }

    /**
     * {@code b2c_call_options}: passed by reference to the {@code *_call_with} functions (null
     * for every default). {@code idempotent}: 0 the method's default, 1 idempotent, 2 not;
     * {@code raw_body} (CRM Open API only): 0 the handle's setting, 1 raw, 2 the JSON normal
     * form. Fields are only ever appended; {@code struct_size} is this layout's size.
     */
    @Structure.FieldOrder({"struct_size", "idempotent", "raw_body"})
    final class CallOptions extends Structure {
        public SizeT struct_size;
        public int idempotent;
        public int raw_body;

        public CallOptions() {
            super();
            this.struct_size = new SizeT(size());
        }

        /** Options with {@code struct_size} set to this layout's size. */
        public CallOptions(int idempotent, int rawBody) {
            super();
            this.idempotent = idempotent;
            this.raw_body = rawBody;
            this.struct_size = new SizeT(size());
            write();
        }
    }

    /**
     * The process-wide instance (loaded on first use, see the class comment). Throws
     * {@link UnsatisfiedLinkError} naming every place tried when libb2c cannot be found, or
     * naming {@code B2C_LIBRARY} and its value when that is set but not a loadable file.
     */
    static B2cLibrary load() {
        return Ffi.lib();
    }

    // ---- common -----------------------------------------------------------------------
    String b2c_version();

    String b2c_status_str(int status);

    int b2c_error_status(Pointer err);

    Pointer b2c_error_message(Pointer err);

    int b2c_error_http_status(Pointer err);

    void b2c_error_free(Pointer err);

    void b2c_string_free(Pointer s);

    /** Drops the shared clients and B2BINPAY handles no handle holds; returns how many. */
    SizeT b2c_shared_clear();

    // ---- logs ---------------------------------------------------------------------------
    /** Process-wide callback; {@code maxLevel} a {@code b2c_log_level} (1 ERROR .. 5 TRACE). */
    int b2c_set_log_callback(LogCallback callback, Pointer userdata, int maxLevel, PointerByReference err);

    void b2c_set_log_stderr(int on);

    // ---- keys, JWT, payload signatures ----------------------------------------------------
    int b2c_key_generate(PointerByReference out, PointerByReference err);

    int b2c_key_from_pem(byte[] pem, SizeT pemLen, PointerByReference out, PointerByReference err);

    int b2c_key_from_file(String path, PointerByReference out, PointerByReference err);

    int b2c_key_private_pem(Pointer key, PointerByReference out, PointerByReference err);

    int b2c_key_public_pem(Pointer key, PointerByReference out, PointerByReference err);

    void b2c_key_free(Pointer key);

    int b2c_jwt_mint(Pointer key, long adminId, String deviceIp, String keyId, String issuer,
                     int ttlS, int kidHeader, PointerByReference outJwt, PointerByReference err);

    int b2c_sign_payload(byte[] key, SizeT keyLen, byte[] payload, SizeT payloadLen,
                         byte[] out, SizeT outLen);

    // ---- B2COPY client --------------------------------------------------------------------
    int b2c_client_new(String configJson, PointerByReference out, PointerByReference err);

    void b2c_client_free(Pointer client);

    int b2c_authenticate(Pointer client, PointerByReference err);

    int b2c_client_mint_jwt(Pointer client, PointerByReference outJwt, PointerByReference err);

    int b2c_fee_process(Pointer client, String accountLogin, String requestId, int waitMs,
                        ProgressCallback onProgress, Pointer userdata, IntByReference outFeeStatus,
                        PointerByReference err);

    int b2c_client_set_log_callback(Pointer client, LogCallback callback, Pointer userdata, int maxLevel,
                                    PointerByReference err);

    int b2c_client_stats(Pointer client, PointerByReference outJson, PointerByReference err);

    /** A new handle to the process-wide shared client of this configuration (free it with
     * {@link #b2c_client_free}, which releases that handle only). */
    int b2c_client_shared(String configJson, PointerByReference out, PointerByReference err);

    /** {@code store == null} detaches; the struct is copied, its callbacks are kept. */
    int b2c_client_set_token_store(Pointer client, TokenStoreStruct store, PointerByReference err);

    /** Any other B2COPY request; every final HTTP answer is 0 with {@code *outHttpStatus} and
     * {@code *outBody} (a library-owned NUL-terminated string). {@code body} may be null with
     * length 0. */
    int b2c_client_call(Pointer client, String method, String path, byte[] body, SizeT bodyLen,
                        IntByReference outHttpStatus, PointerByReference outBody, PointerByReference err);

    /** {@link #b2c_client_call} with options ({@code options} may be null). */
    int b2c_client_call_with(Pointer client, String method, String path, byte[] body, SizeT bodyLen,
                             CallOptions options, IntByReference outHttpStatus, PointerByReference outBody,
                             PointerByReference err);

    /** A valid access token for the caller's own B2COPY requests (free it: it is zeroed). */
    int b2c_client_access_token(Pointer client, PointerByReference outToken, PointerByReference err);

    // ---- CRM Open API ---------------------------------------------------------------------
    /** A CRM Open API handle: {@code {"base_url", "api_key"}} + deadline_ms, raw_body,
     * transport keys. Free with {@link #b2c_crm_free}. */
    int b2c_crm_new(String configJson, PointerByReference out, PointerByReference err);

    void b2c_crm_free(Pointer crm);

    /** A signed CRM Open API call (JSON bodies sent in their normal form unless raw). */
    int b2c_crm_call(Pointer crm, String method, String path, byte[] body, SizeT bodyLen,
                     IntByReference outHttpStatus, PointerByReference outBody, PointerByReference err);

    int b2c_crm_call_with(Pointer crm, String method, String path, byte[] body, SizeT bodyLen,
                          CallOptions options, IntByReference outHttpStatus, PointerByReference outBody,
                          PointerByReference err);

    int b2c_crm_set_log_callback(Pointer crm, LogCallback callback, Pointer userdata, int maxLevel,
                                 PointerByReference err);

    int b2c_crm_stats(Pointer crm, PointerByReference outJson, PointerByReference err);

    int b2c_crm_sign_request(String apiKey, String method, byte[] body, SizeT bodyLen,
                             PointerByReference outSignature, PointerByReference err);

    int b2c_crm_verify_signature(String apiKey, byte[] body, SizeT bodyLen, String signature,
                                 PointerByReference err);

    int b2c_webhook_verify(byte[] secret, SizeT secretLen, byte[] body, SizeT bodyLen,
                           String signature, PointerByReference err);

    // ---- B2BINPAY -------------------------------------------------------------------------
    int b2c_b2binpay_new(String configJson, PointerByReference out, PointerByReference err);

    void b2c_b2binpay_free(Pointer handle);

    int b2c_b2binpay_login(Pointer handle, PointerByReference err);

    int b2c_b2binpay_refresh(Pointer handle, PointerByReference err);

    int b2c_b2binpay_access_token(Pointer handle, PointerByReference outToken,
                                  IntByReference outSuspicious, PointerByReference err);

    int b2c_b2binpay_counters(Pointer handle, LongByReference outLogins,
                              LongByReference outRefreshes, LongByReference outSuspicious);

    int b2c_b2binpay_verify_callback(String login, String password, String status, String amount,
                                     String trackingId, String metaTime, String sign,
                                     PointerByReference err);

    int b2c_b2binpay_set_log_callback(Pointer handle, LogCallback callback, Pointer userdata, int maxLevel,
                                      PointerByReference err);

    int b2c_b2binpay_stats(Pointer handle, PointerByReference outJson, PointerByReference err);

    int b2c_b2binpay_shared(String configJson, PointerByReference out, PointerByReference err);

    int b2c_b2binpay_set_token_store(Pointer handle, TokenStoreStruct store, PointerByReference err);

    /** Any other B2BINPAY API request (as {@link #b2c_client_call}). */
    int b2c_b2binpay_call(Pointer handle, String method, String path, byte[] body, SizeT bodyLen,
                          IntByReference outHttpStatus, PointerByReference outBody, PointerByReference err);

    int b2c_b2binpay_call_with(Pointer handle, String method, String path, byte[] body, SizeT bodyLen,
                               CallOptions options, IntByReference outHttpStatus, PointerByReference outBody,
                               PointerByReference err);

    // ---- RetailCRM ------------------------------------------------------------------------
    int b2c_retailcrm_token(String secret, String apiKey, PointerByReference outToken,
                            PointerByReference err);

    int b2c_retailcrm_verify_token(String secret, String apiKey, String token, PointerByReference err);

    int b2c_retailcrm_config_response(String scopesJson, String registerUrl, PointerByReference outJson,
                                      PointerByReference err);

    int b2c_retailcrm_register_success(String accountUrl, PointerByReference outJson,
                                       PointerByReference err);

    int b2c_retailcrm_error_response(String message, PointerByReference outJson, PointerByReference err);

    int b2c_retailcrm_edit_module(String systemUrl, String apiKey, String moduleJson,
                                  String httpConfigJson, PointerByReference err);

    int b2c_retailcrm_handle_register(String secret, byte[] formBody, SizeT formLen, String moduleJson,
                                      String httpConfigJson, PointerByReference outAnswerJson,
                                      PointerByReference err);

    /** The register step for one of many accounts: {@code accountJson} (may be null) laid over
     * {@code moduleJson}'s top-level fields; {@code *outResultJson} is the result object. */
    int b2c_retailcrm_register_account(String secret, byte[] formBody, SizeT formLen, String moduleJson,
                                       String accountJson, String httpConfigJson,
                                       PointerByReference outResultJson, PointerByReference err);
}
