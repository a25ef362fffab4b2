using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace B2c
{
    internal static class Verdicts
    {
        /// <summary>OK → true, SignatureInvalid → false, anything else throws.</summary>
        internal static bool Of(int rc, ref IntPtr err)
        {
            if (rc == (int)Status.SignatureInvalid) { Errors.Discard(ref err); return false; }
            Errors.Check(rc, ref err);
            return true;
        }

        internal static void NotNull(object o, string name) { if (o == null) throw new ArgumentNullException(name); }
    }

    /// <summary>CRM Open API request signing and webhook verification.</summary>
    public static class CrmOpenApi
    {
        /// <summary>The signature header: "sha256=hex" for POST/PATCH/PUT with a non-empty body,
        /// "" for GET/DELETE or an empty body (then send no signature header). Sign the exact
        /// bytes you send. method must be GET, POST, PUT, PATCH or DELETE (any case, nothing
        /// around it: "FOO" and "POST " are refused); another method, or an empty or
        /// header-unsafe apiKey, is an InvalidArgumentException, so a typo never yields an
        /// unsigned request.</summary>
        public static string SignRequest(string apiKey, string method, byte[] body)
        {
            Verdicts.NotNull(apiKey, "apiKey"); Verdicts.NotNull(method, "method");
            body = body ?? new byte[0];
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_crm_sign_request(Utf8.Z(apiKey), Utf8.Z(method), body, (UIntPtr)body.Length,
                ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        /// <summary>Checks a request's "sha256=hex" signature header against its body. false
        /// when it does not match; an empty or header-unsafe apiKey is an
        /// InvalidArgumentException.</summary>
        public static bool VerifySignature(string apiKey, byte[] body, string signature)
        {
            Verdicts.NotNull(apiKey, "apiKey"); Verdicts.NotNull(body, "body"); Verdicts.NotNull(signature, "signature");
            IntPtr err = IntPtr.Zero;
            return Verdicts.Of(NativeMethods.Lib.b2c_crm_verify_signature(Utf8.Z(apiKey), body, (UIntPtr)body.Length,
                Utf8.Z(signature), ref err), ref err);
        }

        /// <summary>Checks a webhook's X-Crm-Signature (hex, with or without "sha256="). false
        /// when it does not match; an empty secret is an InvalidArgumentException (anyone can
        /// compute an HMAC under an empty key).</summary>
        public static bool VerifyWebhook(byte[] secret, byte[] body, string signature)
        {
            Verdicts.NotNull(secret, "secret"); Verdicts.NotNull(body, "body"); Verdicts.NotNull(signature, "signature");
            IntPtr err = IntPtr.Zero;
            return Verdicts.Of(NativeMethods.Lib.b2c_webhook_verify(secret, (UIntPtr)secret.Length, body, (UIntPtr)body.Length,
                Utf8.Z(signature), ref err), ref err);
        }
    }

    /// <summary>The result of <see cref="B2binpay.AccessToken"/>.</summary>
    public sealed class AccessToken
    {
        public AccessToken(string token, bool suspicious) { Token = token; Suspicious = suspicious; }

        /// <summary>The bearer token.</summary>
        public string Token { get; private set; }
        /// <summary>True only in the answer to the call whose own renewal met a rejected,
        /// unexpired refresh token (all tokens were dropped and the handle logged in again):
        /// treat it as a security event. It is reported once: later calls say false, and an
        /// event met by <see cref="B2binpay.Refresh"/> is reported by no AccessToken call.
        /// <see cref="B2binpay.Counters"/> (Suspicious) keeps the history.</summary>
        public bool Suspicious { get; private set; }

        /// <summary>Does not show the token.</summary>
        public override string ToString() { return "AccessToken{suspicious=" + Suspicious + "}"; }
    }

    /// <summary>The result of <see cref="B2binpay.Counters"/>.</summary>
    public sealed class B2binpayCounters
    {
        public B2binpayCounters(ulong logins, ulong refreshes, ulong suspicious)
        {
            Logins = logins; Refreshes = refreshes; Suspicious = suspicious;
        }

        public ulong Logins { get; private set; }
        public ulong Refreshes { get; private set; }
        /// <summary>Refresh tokens rejected before they expired: the history of the suspicious
        /// events, whichever call (AccessToken or Refresh) met them.</summary>
        public ulong Suspicious { get; private set; }

        public override string ToString()
        {
            return "B2binpayCounters{logins=" + Logins + ", refreshes=" + Refreshes + ", suspicious=" + Suspicious + "}";
        }
    }

    /// <summary>One B2BINPAY credential and its tokens. Thread-safe.</summary>
    public sealed class B2binpay : IDisposable
    {
        readonly B2cB2binpayHandle handle;

        public B2binpay(IDictionary<string, object> config) : this(Json.Encode(config)) { }

        /// <summary>Keys: base_url, login, password; refresh_margin_s, deadline_ms, token_store,
        /// transport keys.</summary>
        public B2binpay(string configJson)
        {
            Verdicts.NotNull(configJson, "configJson");
            IntPtr err = IntPtr.Zero;
            B2cB2binpayHandle h;
            int rc = NativeMethods.Lib.b2c_b2binpay_new(Utf8.Z(configJson), out h, ref err);
            if (rc != 0) { if (h != null) h.Dispose(); Errors.Check(rc, ref err); }
            var state = h.State;
            h.AfterFree = () => state.ReleaseStores(true);
            handle = h;
        }

        B2binpay(B2cB2binpayHandle h) { handle = h; }

        /// <summary>A handle to the process-wide shared B2BINPAY handle of this configuration (see
        /// <see cref="Shared(string)"/>).</summary>
        public static B2binpay Shared(IDictionary<string, object> config) { return Shared(Json.Encode(config)); }

        /// <summary>A handle to the process-wide shared B2BINPAY handle of this configuration (any
        /// key order): one token pair for every caller in the process. Same rules as
        /// <see cref="Client.Shared(string)"/>: each call returns a new object whose Dispose
        /// releases that handle only; the native handle lives on until
        /// <see cref="B2cLibrary.ClearShared"/> drops it once no handle holds it; a trace source
        /// or token store set through one handle applies to all of them.</summary>
        public static B2binpay Shared(string configJson)
        {
            Verdicts.NotNull(configJson, "configJson");
            string id = SharedHandles.Identity("b2binpay", configJson);
            lock (SharedHandles.Gate)
            {
                IntPtr err = IntPtr.Zero;
                B2cB2binpayHandle h;
                int rc = NativeMethods.Lib.b2c_b2binpay_shared(Utf8.Z(configJson), out h, ref err);
                if (rc != 0) { if (h != null) h.Dispose(); Errors.Check(rc, ref err); }
                var e = SharedHandles.Acquire(id);
                h.State = e.State;
                h.AfterFree = e.Released;
                return new B2binpay(h);
            }
        }

        /// <summary>Shares this handle's tokens through store (null detaches any store, a
        /// configured token_store too). With a store, a single-use refresh token is sent only
        /// under the store's lock, after the store has recorded it as taken. Same rules as
        /// <see cref="Client.SetTokenStore"/>.</summary>
        public void SetTokenStore(ITokenStore store)
        {
            var h = Live();
            h.State.SetTokenStore(store, (IntPtr st, ref IntPtr err) =>
                NativeMethods.Lib.b2c_b2binpay_set_token_store(h, st, ref err));
        }

        B2cB2binpayHandle Live()
        {
            if (handle.IsClosed) throw new ObjectDisposedException("B2binpay");
            return handle;
        }

        public void Login() { IntPtr err = IntPtr.Zero; Errors.Check(NativeMethods.Lib.b2c_b2binpay_login(Live(), ref err), ref err); }

        /// <summary>Refreshes the token pair now (single-flight). If the refresh token is
        /// rejected while unexpired, the handle logs in again and counts the event in
        /// <see cref="Counters"/>; no later AccessToken() call reports it.</summary>
        public void Refresh() { IntPtr err = IntPtr.Zero; Errors.Check(NativeMethods.Lib.b2c_b2binpay_refresh(Live(), ref err), ref err); }

        /// <summary>A valid access token, logging in or renewing when needed: a token living L
        /// is renewed min(refresh_margin_s, L/5) before it expires. Suspicious is true only when
        /// this call's own renewal met a rejected, unexpired refresh token (treat it as a
        /// security event); a later call answered from the new pair says false.</summary>
        public AccessToken AccessToken()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            int susp = 0;
            Errors.Check(NativeMethods.Lib.b2c_b2binpay_access_token(Live(), ref s, ref susp, ref err), ref err);
            return new AccessToken(Utf8.Take(ref s), susp != 0);
        }

        /// <summary>Any other B2BINPAY API request (payouts, deposits, wallets): method on path
        /// (relative to base_url, e.g. "/api/v3/wallet/?page=1"), body (null or empty: none) sent as
        /// JSON:API (application/vnd.api+json), with the access token of <see cref="AccessToken"/>'s
        /// rules; a 401 renews it once and sends again (a second 401 is an AuthException
        /// Unauthorized). Every final HTTP answer is a Response; idempotent as in
        /// <see cref="Client.Call"/>.</summary>
        public Response Call(string method, string path, byte[] body = null, bool? idempotent = null)
        {
            var h = Live();
            return Calls.Call(
                (byte[] m, byte[] p, byte[] b, UIntPtr n, ref int st, ref IntPtr o, ref IntPtr e) =>
                    NativeMethods.Lib.b2c_b2binpay_call(h, m, p, b, n, ref st, ref o, ref e),
                (byte[] m, byte[] p, byte[] b, UIntPtr n, ref NativeMethods.CallOptions opts, ref int st, ref IntPtr o,
                 ref IntPtr e) => NativeMethods.Lib.b2c_b2binpay_call_with(h, m, p, b, n, ref opts, ref st, ref o, ref e),
                method, path, body, idempotent, null);
        }

        /// <summary>How many logins, refreshes and suspicious refresh rejections this handle saw.</summary>
        public B2binpayCounters Counters()
        {
            ulong a = 0, b = 0, c = 0;
            IntPtr none = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_b2binpay_counters(Live(), ref a, ref b, ref c), ref none);
            return new B2binpayCounters(a, b, c);
        }

        /// <summary>Routes this handle's log events (auth, refresh, suspicious_refresh at Warning,
        /// ...) to source instead of <see cref="B2cLibrary.Trace"/>, up to level; source's own
        /// Switch still filters. null removes it (B2cLibrary.Trace receives them again).</summary>
        public void SetTraceSource(TraceSource source, SourceLevels level)
        {
            var h = Live();
            Logging.SetHandleSource(ref h.State.LogRoute, h.State.LogGate, source, level,
                (NativeMethods.LogCallback cb, int max, ref IntPtr err) =>
                    NativeMethods.Lib.b2c_b2binpay_set_log_callback(h, cb, IntPtr.Zero, max, ref err));
        }

        /// <summary>As <see cref="SetTraceSource(TraceSource, SourceLevels)"/> at source's own
        /// Switch.Level (null removes it).</summary>
        public void SetTraceSource(TraceSource source)
        {
            SetTraceSource(source, source == null ? SourceLevels.Off : source.Switch.Level);
        }

        /// <summary>This handle's statistics since it was created (the keys of
        /// <see cref="Client.Stats"/>; latency endpoints token and token_refresh; Suspicious
        /// counts the rejected unexpired refresh tokens).</summary>
        public Stats Stats()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_b2binpay_stats(Live(), ref s, ref err), ref err);
            return global::B2c.Stats.Parse(Utf8.Take(ref s));
        }

        public static bool VerifyCallback(string login, string password, string status, string amount,
                                          string trackingId, string metaTime, string sign)
        {
            Verdicts.NotNull(login, "login"); Verdicts.NotNull(password, "password"); Verdicts.NotNull(status, "status");
            Verdicts.NotNull(amount, "amount"); Verdicts.NotNull(trackingId, "trackingId");
            Verdicts.NotNull(metaTime, "metaTime"); Verdicts.NotNull(sign, "sign");
            IntPtr err = IntPtr.Zero;
            return Verdicts.Of(NativeMethods.Lib.b2c_b2binpay_verify_callback(Utf8.Z(login), Utf8.Z(password), Utf8.Z(status),
                Utf8.Z(amount), Utf8.Z(trackingId), Utf8.Z(metaTime), Utf8.Z(sign), ref err), ref err);
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>RetailCRM module helpers.</summary>
    public static class RetailCrm
    {
        /// <summary>The register token RetailCRM sends: hex HMAC-SHA256(key = secret, message =
        /// apiKey). An empty secret or apiKey is an InvalidArgumentException.</summary>
        public static string Token(string secret, string apiKey)
        {
            Verdicts.NotNull(secret, "secret"); Verdicts.NotNull(apiKey, "apiKey");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_token(Utf8.Z(secret), Utf8.Z(apiKey), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        public static bool VerifyToken(string secret, string apiKey, string token)
        {
            Verdicts.NotNull(secret, "secret"); Verdicts.NotNull(apiKey, "apiKey"); Verdicts.NotNull(token, "token");
            IntPtr err = IntPtr.Zero;
            return Verdicts.Of(NativeMethods.Lib.b2c_retailcrm_verify_token(Utf8.Z(secret), Utf8.Z(apiKey), Utf8.Z(token), ref err), ref err);
        }

        public static string ConfigResponse(string scopesJson, string registerUrl)
        {
            Verdicts.NotNull(scopesJson, "scopesJson"); Verdicts.NotNull(registerUrl, "registerUrl");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_config_response(Utf8.Z(scopesJson), Utf8.Z(registerUrl), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        public static string RegisterSuccess(string accountUrl)
        {
            Verdicts.NotNull(accountUrl, "accountUrl");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_register_success(Utf8.Z(accountUrl), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        public static string ErrorResponse(string message)
        {
            Verdicts.NotNull(message, "message");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_error_response(Utf8.Z(message), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        /// <summary>Registers/updates the module; a refusal is a RemoteException with errorMsg.</summary>
        public static void EditModule(string systemUrl, string apiKey, string moduleJson, string httpConfigJson = null)
        {
            Verdicts.NotNull(systemUrl, "systemUrl"); Verdicts.NotNull(apiKey, "apiKey"); Verdicts.NotNull(moduleJson, "moduleJson");
            IntPtr err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_edit_module(Utf8.Z(systemUrl), Utf8.Z(apiKey), Utf8.Z(moduleJson),
                Utf8.Z(httpConfigJson), ref err), ref err);
        }

        /// <summary>The whole register step; returns the JSON answer to send with HTTP 200.</summary>
        public static string HandleRegister(string secret, byte[] formBody, string moduleJson, string httpConfigJson = null)
        {
            Verdicts.NotNull(secret, "secret"); Verdicts.NotNull(formBody, "formBody"); Verdicts.NotNull(moduleJson, "moduleJson");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_handle_register(Utf8.Z(secret), formBody, (UIntPtr)formBody.Length,
                Utf8.Z(moduleJson), Utf8.Z(httpConfigJson), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        public static string HandleRegister(string secret, string formBody, string moduleJson, string httpConfigJson = null)
        {
            return HandleRegister(secret, Encoding.UTF8.GetBytes(formBody), moduleJson, httpConfigJson);
        }

        /// <summary>
        /// The register step for a module that serves many CRM accounts: as
        /// <see cref="HandleRegister(string, byte[], string, string)"/> (the token is verified first:
        /// a wrong one gets an error answer and no outgoing call), with the account's own module
        /// fields (accountJson: null, or a JSON object such as {"clientId": "acct-42", "accountUrl":
        /// "https://module.example/acct/42"}) laid over moduleJson's top-level fields, and
        /// everything the module must store for the account. httpConfigJson: null (defaults), or
        /// transport keys and deadline_ms. Invalid module or account JSON is an
        /// InvalidArgumentException.
        /// </summary>
        public static Registration RegisterAccount(string secret, byte[] formBody, string moduleJson,
                                                   string accountJson = null, string httpConfigJson = null)
        {
            Verdicts.NotNull(secret, "secret"); Verdicts.NotNull(formBody, "formBody"); Verdicts.NotNull(moduleJson, "moduleJson");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_retailcrm_register_account(Utf8.Z(secret), formBody, (UIntPtr)formBody.Length,
                Utf8.Z(moduleJson), Utf8.Z(accountJson), Utf8.Z(httpConfigJson), ref s, ref err), ref err);
            return Registration.Parse(Utf8.Take(ref s));
        }

        /// <summary>As <see cref="RegisterAccount(string, byte[], string, string, string)"/> with the
        /// form body as text (UTF-8).</summary>
        public static Registration RegisterAccount(string secret, string formBody, string moduleJson,
                                                   string accountJson = null, string httpConfigJson = null)
        {
            Verdicts.NotNull(formBody, "formBody");
            return RegisterAccount(secret, Encoding.UTF8.GetBytes(formBody), moduleJson, accountJson, httpConfigJson);
        }
    }
}
