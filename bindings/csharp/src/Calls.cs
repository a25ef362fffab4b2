using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Text;

namespace B2c
{
    /// <summary>
    /// The final HTTP answer to a generic call (<see cref="Client.Call"/>, <see cref="B2binpay.Call"/>,
    /// <see cref="Crm.Call"/>): its status and body, whatever the status is (a 404 is a Response,
    /// not an exception; exceptions are for what is not an answer). Immutable.
    /// </summary>
    public sealed class Response
    {
        readonly byte[] body;

        public Response(int status, byte[] body)
        {
            if (body == null) throw new ArgumentNullException("body");
            Status = status;
            this.body = (byte[])body.Clone();
        }

        /// <summary>The HTTP status, e.g. 200 or 404.</summary>
        public int Status { get; private set; }

        /// <summary>The body's bytes (a copy on every get; empty when the answer had none).</summary>
        public byte[] Body { get { return (byte[])body.Clone(); } }

        /// <summary>The body decoded as UTF-8 (malformed sequences become U+FFFD).</summary>
        public string BodyText { get { return Encoding.UTF8.GetString(body); } }

        /// <summary>The body parsed as JSON: objects are Dictionary&lt;string, object&gt;, arrays
        /// List&lt;object&gt;, integers long (double when they do not fit), other numbers double,
        /// true/false bool, null null. Throws FormatException when the body is not JSON.</summary>
        public object Json() { return global::B2c.Json.Parse(BodyText); }

        /// <summary>The status and the body's length (not the body: it may hold account data).</summary>
        public override string ToString() { return "Response{status=" + Status + ", body=" + body.Length + " bytes}"; }
    }

    /// <summary>The generic calls of every handle (b2c_*_call / b2c_*_call_with).</summary>
    internal static class Calls
    {
        internal delegate int Plain(byte[] method, byte[] path, byte[] body, UIntPtr bodyLen, ref int status,
            ref IntPtr outBody, ref IntPtr err);

        internal delegate int With(byte[] method, byte[] path, byte[] body, UIntPtr bodyLen,
            ref NativeMethods.CallOptions options, ref int status, ref IntPtr outBody, ref IntPtr err);

        /// <summary>0 default, 1 yes, 2 no.</summary>
        internal static int Tri(bool? b) { return b.HasValue ? (b.Value ? 1 : 2) : 0; }

        /// <summary>One call: plain when every option is the default, else with.</summary>
        internal static Response Call(Plain plain, With with, string method, string path, byte[] body, bool? idempotent,
                                      bool? raw)
        {
            if (method == null) throw new ArgumentNullException("method");
            if (path == null) throw new ArgumentNullException("path");
            NoNul("method", method);
            NoNul("path", path);
            byte[] b = body == null || body.Length == 0 ? null : body;
            var len = (UIntPtr)(b == null ? 0 : b.Length);
            int status = 0;
            IntPtr outBody = IntPtr.Zero, err = IntPtr.Zero;
            int rc;
            if (!idempotent.HasValue && !raw.HasValue)
            {
                rc = plain(Utf8.Z(method), Utf8.Z(path), b, len, ref status, ref outBody, ref err);
            }
            else
            {
                var o = NativeMethods.CallOptions.Of(Tri(idempotent), Tri(raw));
                rc = with(Utf8.Z(method), Utf8.Z(path), b, len, ref o, ref status, ref outBody, ref err);
            }
            Errors.Check(rc, ref err);
            return new Response(status, Utf8.TakeBytes(ref outBody));
        }

        /// <summary>A string may hold U+0000, which would end the C string early (another request
        /// than the one asked for): refused here as InvalidArgument.</summary>
        internal static void NoNul(string what, string s)
        {
            if (s.IndexOf('\0') >= 0)
                throw new InvalidArgumentException((int)global::B2c.Status.InvalidArgument, what + " contains a NUL character", 0);
        }
    }

    /// <summary>
    /// A CRM Open API handle: one base URL and API key, its keep-alive connections, trace source
    /// and statistics. Every call is signed (<c>key: &lt;API key&gt;</c> and, for POST, PUT and
    /// PATCH with a body, <c>signature: sha256=&lt;HMAC of exactly the bytes sent&gt;</c>).
    /// Thread-safe; Dispose while another thread is inside a call is safe (the SafeHandle defers
    /// the free, which zeroes the API key, until that call returns); a Crm never disposed is freed
    /// by the SafeHandle's finalizer.
    /// <para>The body: the vendor's samples sign <c>JSON.stringify(JSON.parse(body))</c>, so by
    /// default the handle SENDS that normal form of a JSON body (no whitespace, JSON.stringify's
    /// escaping and numbers) and signs it. A body the normal form would change in value (a big
    /// integer, a long decimal, a duplicate key) or that is not JSON is an
    /// InvalidArgumentException naming raw mode; raw mode (<c>"raw_body": true</c> in the
    /// configuration, or <c>raw: true</c> on one call) sends and signs the bytes untouched.</para>
    /// </summary>
    public sealed class Crm : IDisposable
    {
        readonly B2cCrmHandle handle;

        /// <summary>From a configuration dictionary (keys: see <see cref="Crm(string)"/>).</summary>
        public Crm(IDictionary<string, object> config) : this(global::B2c.Json.Encode(config)) { }

        /// <summary>From a configuration JSON object: base_url, api_key (required); deadline_ms
        /// (30000: one call with its retries), raw_body (false), and the transport keys of the
        /// B2COPY client. Unknown keys are an InvalidArgumentException (Config). No network traffic
        /// happens here.</summary>
        public Crm(string configJson)
        {
            Verdicts.NotNull(configJson, "configJson");
            IntPtr err = IntPtr.Zero;
            B2cCrmHandle h;
            int rc = NativeMethods.Lib.b2c_crm_new(Utf8.Z(configJson), out h, ref err);
            if (rc != 0) { if (h != null) h.Dispose(); Errors.Check(rc, ref err); }
            handle = h;
        }

        B2cCrmHandle Live()
        {
            if (handle.IsClosed) throw new ObjectDisposedException("Crm");
            return handle;
        }

        /// <summary>
        /// A signed CRM Open API call: method (GET, POST, PUT, PATCH, DELETE; GET and DELETE take no
        /// body) on path (relative to base_url, with an optional query); body null or empty: none.
        /// idempotent null: the method's retry default (see <see cref="Client.Call"/>). raw null: the
        /// handle's raw_body setting; true: the bytes sent and signed untouched; false: the JSON
        /// normal form. Returns every final HTTP answer, whatever its status. Throws
        /// InvalidArgumentException (a bad method or path, a body with GET or DELETE, a body the
        /// normal form cannot carry: the message names raw mode), AuthException (403
        /// invalid_api_key: AuthRejected), SignatureException (403 invalid_signature), NetworkException.
        /// </summary>
        public Response Call(string method, string path, byte[] body = null, bool? idempotent = null, bool? raw = null)
        {
            var h = Live();
            return Calls.Call(
                (byte[] m, byte[] p, byte[] b, UIntPtr n, ref int st, ref IntPtr o, ref IntPtr e) =>
                    NativeMethods.Lib.b2c_crm_call(h, m, p, b, n, ref st, ref o, ref e),
                (byte[] m, byte[] p, byte[] b, UIntPtr n, ref NativeMethods.CallOptions opts, ref int st, ref IntPtr o,
                 ref IntPtr e) => NativeMethods.Lib.b2c_crm_call_with(h, m, p, b, n, ref opts, ref st, ref o, ref e),
                method, path, body, idempotent, raw);
        }

        /// <summary>Routes this handle's log events to source instead of <see cref="B2cLibrary.Trace"/>,
        /// up to level; null removes it. Same rules as <see cref="Client.SetTraceSource(TraceSource, SourceLevels)"/>.</summary>
        public void SetTraceSource(TraceSource source, SourceLevels level)
        {
            var h = Live();
            Logging.SetHandleSource(ref h.State.LogRoute, h.State.LogGate, source, level,
                (NativeMethods.LogCallback cb, int max, ref IntPtr err) =>
                    NativeMethods.Lib.b2c_crm_set_log_callback(h, cb, IntPtr.Zero, max, ref err));
        }

        /// <summary>As <see cref="SetTraceSource(TraceSource, SourceLevels)"/> at source's own
        /// Switch.Level (null removes it).</summary>
        public void SetTraceSource(TraceSource source)
        {
            SetTraceSource(source, source == null ? SourceLevels.Off : source.Switch.Level);
        }

        /// <summary>This handle's statistics since it was created (requests, retries, connections;
        /// latency endpoint "call").</summary>
        public Stats Stats()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_crm_stats(Live(), ref s, ref err), ref err);
            return global::B2c.Stats.Parse(Utf8.Take(ref s));
        }

        /// <summary>True once disposed.</summary>
        public bool IsDisposed { get { return handle.IsClosed; } }

        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>
    /// The outcome of one RetailCRM register step for a module serving many accounts
    /// (<see cref="RetailCrm.RegisterAccount(string, byte[], string, string, string)"/>): the
    /// answer to send back (HTTP 200) and what the module must store for the account. ToString
    /// does not show the API key.
    /// </summary>
    public sealed class Registration
    {
        public Registration(bool registered, string answer, string systemUrl, string apiKey, string error,
                            IDictionary<string, string> fieldErrors)
        {
            if (answer == null) throw new ArgumentNullException("answer");
            Registered = registered; Answer = answer; SystemUrl = systemUrl; ApiKey = apiKey; Error = error;
            FieldErrors = fieldErrors == null ? null
                : new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(fieldErrors));
        }

        /// <summary>The module is registered in the account (the system accepted the edit call).</summary>
        public bool Registered { get; private set; }
        /// <summary>The JSON to answer the system with, HTTP 200: success with the module's
        /// accountUrl, or {"success":false,"errorMsg":...}.</summary>
        public string Answer { get; private set; }
        /// <summary>The account's system URL from the form (null when the form did not parse).</summary>
        public string SystemUrl { get; private set; }
        /// <summary>The account's API key, only when Registered: store it to call the system on the
        /// account's behalf. A SECRET: never log it.</summary>
        public string ApiKey { get; private set; }
        /// <summary>Why it was not registered (no secret in it), or null.</summary>
        public string Error { get; private set; }
        /// <summary>The system's field errors for the edit call (field -> message; a message that
        /// is not a string as its JSON text; a list of messages keyed "0", "1", ...), or null when
        /// it gave none.</summary>
        public IReadOnlyDictionary<string, string> FieldErrors { get; private set; }

        public override string ToString()
        {
            return "Registration{registered=" + Registered + ", systemUrl=" + SystemUrl + ", apiKey="
                + (ApiKey == null ? "null" : "(redacted)") + ", error=" + Error + ", fieldErrors="
                + (FieldErrors == null ? "null" : FieldErrors.Count + " field(s)") + "}";
        }

        /// <summary>Parses the result object of b2c_retailcrm_register_account.</summary>
        internal static Registration Parse(string json)
        {
            try
            {
                var m = global::B2c.Json.Parse(json) as Dictionary<string, object>;
                if (m == null) throw new FormatException("not an object");
                object reg, answer;
                m.TryGetValue("registered", out reg);
                m.TryGetValue("answer", out answer);
                if (!(reg is bool) || !(answer is string)) throw new FormatException("no registered/answer");
                object fe;
                m.TryGetValue("field_errors", out fe);
                return new Registration((bool)reg, (string)answer, Str(m, "system_url"), Str(m, "api_key"), Str(m, "error"),
                    Fields(fe));
            }
            catch (FormatException e)
            {
                throw new InternalException(99, "b2c_retailcrm_register_account returned a malformed result: " + e.Message, 0);
            }
        }

        static string Str(Dictionary<string, object> m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v) || v == null) return null;
            var s = v as string;
            if (s == null) throw new FormatException(key + " is not a string");
            return s;
        }

        static Dictionary<string, string> Fields(object v)
        {
            if (v == null) return null;
            var o = new Dictionary<string, string>(StringComparer.Ordinal);
            var map = v as Dictionary<string, object>;
            var list = v as List<object>;
            if (map != null) foreach (var kv in map) o[kv.Key] = Text(kv.Value);
            else if (list != null) for (int i = 0; i < list.Count; i++) o[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Text(list[i]);
            else o[""] = Text(v);
            return o;
        }

        static string Text(object v)
        {
            var s = v as string;
            return s ?? global::B2c.Json.Canonical(v);
        }
    }
}
