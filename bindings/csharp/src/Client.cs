using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace B2c
{
    /// <summary>
    /// A B2COPY client for one service admin (configuration, key, tokens, keep-alive
    /// connections). Thread-safe: share one instance. Dispose while another thread is inside a
    /// call is safe (the SafeHandle defers the free until that call returns).
    /// </summary>
    public sealed class Client : IDisposable
    {
        readonly B2cClientHandle handle;

        /// <summary>From a configuration dictionary (keys: see b2c_client_new).</summary>
        public Client(IDictionary<string, object> config) : this(Json.Encode(config)) { }

        /// <summary>From a configuration JSON object. Throws InvalidArgumentException (Config,
        /// InsecureUrl) or KeyFormatException. No network traffic happens here.</summary>
        public Client(string configJson)
        {
            if (configJson == null) throw new ArgumentNullException("configJson");
            IntPtr err = IntPtr.Zero;
            B2cClientHandle h;
            int rc = NativeMethods.Lib.b2c_client_new(Utf8.Z(configJson), out h, ref err);
            if (rc != 0)
            {
                if (h != null) h.Dispose();
                Errors.Check(rc, ref err);
            }
            var state = h.State;
            h.AfterFree = () => state.ReleaseStores(true);
            handle = h;
        }

        Client(B2cClientHandle h) { handle = h; }

        /// <summary>A handle to the process-wide shared client of this configuration (see
        /// <see cref="Shared(string)"/>).</summary>
        public static Client Shared(IDictionary<string, object> config) { return Shared(Json.Encode(config)); }

        /// <summary>
        /// A handle to the process-wide shared client of this configuration: the same
        /// configuration, whatever the order of its keys, is one native client (tokens, keep-alive
        /// connections) for every caller in the process. Each call returns a new Client; Dispose
        /// releases that handle only. The library keeps the native client after the last handle is
        /// disposed, for the next Shared call with the same configuration, until
        /// <see cref="B2cLibrary.ClearShared"/> or the end of the process. A trace source
        /// (<see cref="SetTraceSource(TraceSource, SourceLevels)"/>) or token store
        /// (<see cref="SetTokenStore"/>) set through one handle applies to every handle of that
        /// client. Throws as <see cref="Client(string)"/>.
        /// </summary>
        public static Client Shared(string configJson)
        {
            if (configJson == null) throw new ArgumentNullException("configJson");
            string id = SharedHandles.Identity("client", configJson);
            lock (SharedHandles.Gate)
            {
                IntPtr err = IntPtr.Zero;
                B2cClientHandle h;
                int rc = NativeMethods.Lib.b2c_client_shared(Utf8.Z(configJson), out h, ref err);
                if (rc != 0)
                {
                    if (h != null) h.Dispose();
                    Errors.Check(rc, ref err);
                }
                var e = SharedHandles.Acquire(id);
                h.State = e.State;
                h.AfterFree = e.Released;
                return new Client(h);
            }
        }

        /// <summary>
        /// Shares this client's tokens through store (with every process and handle using the same
        /// store and credential); null detaches any store, a configured token_store too (tokens
        /// then live in this client only). Set it before the first call that needs a token. The
        /// store stays referenced until the native client is freed (a shared one: until
        /// <see cref="B2cLibrary.ClearShared"/> drops it), even once replaced or detached: a call
        /// that started before may still use it. See <see cref="ITokenStore"/>.
        /// </summary>
        public void SetTokenStore(ITokenStore store)
        {
            var h = Live();
            h.State.SetTokenStore(store, (IntPtr st, ref IntPtr err) =>
                NativeMethods.Lib.b2c_client_set_token_store(h, st, ref err));
        }

        B2cClientHandle Live()
        {
            if (handle.IsClosed) throw new ObjectDisposedException("Client");
            return handle;
        }

        /// <summary>Exchanges a fresh JWT for tokens (optional: fee calls do it on first use).</summary>
        public void Authenticate()
        {
            IntPtr err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_authenticate(Live(), ref err), ref err);
        }

        /// <summary>Mints an external JWT with the client's key and claims.</summary>
        public string MintJwt()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_client_mint_jwt(Live(), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        /// <summary>
        /// Charges the fees due for withdrawal requestId on accountLogin.
        /// wait null/zero: one request, returns Pending or Success. Otherwise polls until a final
        /// status or until wait has passed (capped at 2^32-1 ms, at least 1 ms).
        /// onProgress (may be null) runs on this thread after each answer; return true to go on,
        /// false to cancel (CancelledException). An exception it throws cancels the call and is
        /// rethrown here.
        /// Throws FeeException (ERROR; message has the server's details), StillPendingException,
        /// CancelledException, or another B2cException.
        /// </summary>
        public FeeResult FeeProcess(string accountLogin, string requestId, TimeSpan? wait = null,
                                    Func<FeeProgress, bool> onProgress = null)
        {
            if (accountLogin == null) throw new ArgumentNullException("accountLogin");
            if (requestId == null) throw new ArgumentNullException("requestId");
            uint waitMs = WaitMillis(wait);
            Exception thrown = null;
            NativeMethods.ProgressCallback cb = null;
            if (onProgress != null)
            {
                cb = (userdata, status, attempt, elapsedMs) =>
                {
                    if (thrown != null) return 1;
                    try
                    {
                        return onProgress(new FeeProgress(status, attempt, elapsedMs)) ? 0 : 1;
                    }
                    catch (Exception e)
                    {
                        // Never let a managed exception unwind through native frames.
                        thrown = e;
                        return 1;
                    }
                };
            }
            int feeStatus = 0;
            IntPtr err = IntPtr.Zero;
            int rc = NativeMethods.Lib.b2c_fee_process(Live(), Utf8.Z(accountLogin), Utf8.Z(requestId), waitMs, cb,
                IntPtr.Zero, ref feeStatus, ref err);
            // The marshalled function pointer lives only as long as the delegate: keep it alive
            // until the native call has returned.
            GC.KeepAlive(cb);
            if (thrown != null)
            {
                Errors.Discard(ref err);
                ExceptionDispatchInfo.Capture(thrown).Throw();
            }
            FeeStatus? fs = feeStatus == 0 ? (FeeStatus?)null : (FeeStatus)feeStatus;
            Errors.Check(rc, ref err, fs);
            return new FeeResult(accountLogin, requestId, fs ?? FeeStatus.Pending);
        }

        /// <summary>
        /// Any other B2COPY request with this client's access token (renewed ahead of expiry; a 401
        /// refreshes, a failed refresh authenticates again, a 401 on the renewed token is an
        /// AuthException Unauthorized). method: GET, POST, PUT, PATCH or DELETE. path: relative to
        /// base_url, starting with a single '/', with an optional query; visible ASCII, no '#', no
        /// '.' or '..' segments. body (null or empty: none) is sent as application/json.
        /// idempotent null: the method's default (GET, PUT, DELETE are retried on transport
        /// failures, 5xx and 429 within call_deadline_ms; POST and PATCH only when the connection
        /// could not be made); true/false overrides it. Returns every final HTTP answer, whatever
        /// its status (a 404 is a Response). Throws InvalidArgumentException (a bad method or path:
        /// nothing is sent), NetworkException / TimeoutException, ProtocolException (an answer over
        /// max_response_bytes), AuthException.
        /// </summary>
        public Response Call(string method, string path, byte[] body = null, bool? idempotent = null)
        {
            var h = Live();
            return Calls.Call(
                (byte[] m, byte[] p, byte[] b, UIntPtr n, ref int st, ref IntPtr o, ref IntPtr e) =>
                    NativeMethods.Lib.b2c_client_call(h, m, p, b, n, ref st, ref o, ref e),
                (byte[] m, byte[] p, byte[] b, UIntPtr n, ref NativeMethods.CallOptions opts, ref int st, ref IntPtr o,
                 ref IntPtr e) => NativeMethods.Lib.b2c_client_call_with(h, m, p, b, n, ref opts, ref st, ref o, ref e),
                method, path, body, idempotent, null);
        }

        /// <summary>A valid access token (renewed ahead of expiry as for fee calls) for B2COPY
        /// requests made with another HTTP stack (Authorization: Bearer &lt;token&gt;). It is a bearer
        /// credential: never log it. After a 401 from such a request call <see cref="Authenticate"/>:
        /// the library cannot see that answer.</summary>
        public string AccessToken()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_client_access_token(Live(), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        /// <summary>
        /// Routes this client's log events to source instead of <see cref="B2cLibrary.Trace"/>,
        /// up to level (the library does not even format events below it; source's own Switch
        /// still filters what its listeners get). null removes it: B2cLibrary.Trace receives the
        /// client's events again. The message of each TraceEvent (id 0) is
        /// "{target} {event}: {message}", secrets already redacted by the library.
        /// </summary>
        public void SetTraceSource(TraceSource source, SourceLevels level)
        {
            var h = Live();
            Logging.SetHandleSource(ref h.State.LogRoute, h.State.LogGate, source, level,
                (NativeMethods.LogCallback cb, int max, ref IntPtr err) =>
                    NativeMethods.Lib.b2c_client_set_log_callback(h, cb, IntPtr.Zero, max, ref err));
        }

        /// <summary>As <see cref="SetTraceSource(TraceSource, SourceLevels)"/> at source's own
        /// Switch.Level (null removes it).</summary>
        public void SetTraceSource(TraceSource source)
        {
            SetTraceSource(source, source == null ? SourceLevels.Off : source.Switch.Level);
        }

        /// <summary>This client's statistics since it was created (requests, retries by cause,
        /// token exchanges, 401s, connections, latency of authexternalcrm, refreshtoken and
        /// processext, ...). Cheap: no network traffic.</summary>
        public Stats Stats()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_client_stats(Live(), ref s, ref err), ref err);
            return global::B2c.Stats.Parse(Utf8.Take(ref s));
        }

        internal static uint WaitMillis(TimeSpan? wait)
        {
            if (!wait.HasValue || wait.Value == TimeSpan.Zero) return 0;
            if (wait.Value < TimeSpan.Zero) throw new ArgumentOutOfRangeException("wait");
            double ms = Math.Ceiling(wait.Value.TotalMilliseconds);
            return ms >= uint.MaxValue ? uint.MaxValue : Math.Max(1u, (uint)ms);
        }

        public void Dispose() { handle.Dispose(); }
    }
}
