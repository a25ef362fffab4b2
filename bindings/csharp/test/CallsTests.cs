// The generic calls (Client.Call, Client.AccessToken, B2binpay.Call), the CRM Open API handle
// (B2c.Crm) and RetailCRM accounts (RetailCrm.RegisterAccount), against a b2c-sandbox of the
// fixture's own (its counters are then this fixture's alone). The sandbox's default (lenient)
// profile echoes any other path under /api/ (B2COPY) and /b2binpay/ with a valid access token:
// {"method", "path", "query", "body"}; its CRM emulator verifies the signature and echoes too
// ("signed": "raw" when the signature is over the bytes sent).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    [TestFixture]
    public class CallsTests
    {
        const string Module = "{\"code\":\"b2c-cs\",\"integrationCode\":\"b2c\",\"active\":true,\"name\":\"B2C\","
            + "\"clientId\":\"client-1\",\"baseUrl\":\"https://m.example.com\",\"accountUrl\":\"https://m.example.com/account\"}";

        string dir, pem;
        Sandbox sb;

        [TestFixtureSetUp]
        public void StartSandbox()
        {
            sb = Support.StartSandbox("calls", out dir, out pem);
        }

        [TestFixtureTearDown]
        public void StopSandbox()
        {
            Support.StopSandbox(sb, dir);
        }

        [TearDown]
        public void ClearFaults() { if (sb != null) sb.Control("faults/clear"); }

        Client NewClient() { return new Client(Support.Cfg(sb.Url, pem)); }

        Crm NewCrm(string apiKey = "sandbox-api-key", bool? rawBody = null)
        {
            var cfg = new Dictionary<string, object> { { "base_url", sb.Url + "/crm" }, { "api_key", apiKey } };
            if (rawBody.HasValue) cfg["raw_body"] = rawBody.Value;
            return new Crm(cfg);
        }

        static byte[] U(string s) { return Encoding.UTF8.GetBytes(s); }

        static Dictionary<string, object> Echo(Response r, string what)
        {
            Assert.AreEqual(200, r.Status, what + ": " + r.BodyText);
            var o = r.Json() as Dictionary<string, object>;
            Assert.IsNotNull(o, what + ": not an object: " + r.BodyText);
            return o;
        }

        static string Canon(object v) { return Json.Canonical(v); }

        // ------------------------------------------------------------------ B2COPY

        [Test]
        public void B2copyGetIsEchoedWithMethodPathAndQuery()
        {
            using (var c = NewClient())
            {
                long calls = sb.Stat("b2copy", "other_calls"), auth = sb.Stat("b2copy", "auth_ok");
                var e = Echo(c.Call("GET", "/api/admin/whatever?x=1"), "GET echo");
                Assert.AreEqual("GET", e["method"]);
                Assert.AreEqual("/api/admin/whatever", e["path"]);
                Assert.AreEqual("x=1", e["query"]);
                Assert.IsNull(e["body"], "no body");
                Assert.AreEqual(1, sb.Stat("b2copy", "other_calls") - calls, "one generic call reached the sandbox");
                Assert.AreEqual(1, sb.Stat("b2copy", "auth_ok") - auth, "the first call authenticated");
            }
        }

        [Test]
        public void B2copyPostBodyIsEchoed()
        {
            using (var c = NewClient())
            {
                var e = Echo(c.Call("POST", "/api/admin/things", U("{\"a\": [1, 2], \"s\": \"J\\u00fcrgen \u00e9\"}")), "POST echo");
                Assert.AreEqual("POST", e["method"]);
                Assert.AreEqual("{\"a\":[1,2],\"s\":\"J\u00fcrgen \u00e9\"}", Canon(e["body"]));
            }
        }

        [Test]
        public void B2copyCallAfterExpiryRefreshesOnce()
        {
            using (var c = NewClient())
            {
                Assert.AreEqual(200, c.Call("GET", "/api/admin/before").Status, "first call");
                sb.Control("b2copy/expire-access");
                long refresh = sb.Stat("b2copy", "refresh_ok"), auth = sb.Stat("b2copy", "auth_ok");
                var e = Echo(c.Call("POST", "/api/admin/after", U("{\"k\": 1}")), "call after expire-access");
                Assert.AreEqual("{\"k\":1}", Canon(e["body"]));
                Assert.AreEqual(1, sb.Stat("b2copy", "refresh_ok") - refresh, "one refresh");
                Assert.AreEqual(0, sb.Stat("b2copy", "auth_ok") - auth, "no new authentication");
                var s = c.Stats();
                Assert.AreEqual(1, s.Unauthorized, "one 401: " + s.Json);
                Assert.AreEqual(1, s.Refreshes, "one refresh: " + s.Json);
            }
        }

        [Test]
        public void B2copy404IsAResponseNotAnException()
        {
            using (var c = NewClient())
            {
                var r = c.Call("DELETE", "/nowhere");
                Assert.AreEqual(404, r.Status, "404 as a result: " + r.BodyText);
                Assert.IsNotNull(r.Body);
            }
        }

        [Test]
        public void B2copyBadMethodsAndPathsAreRefusedBeforeSending()
        {
            using (var c = NewClient())
            {
                long calls = sb.Stat("b2copy", "other_calls");
                foreach (var p in new[] { "api/x", "//evil.example/x", "/a b", "/a/../b", "/a/./b", "/x#y", "/\u00fc", "", "/api/x\0/y" })
                {
                    var path = p;
                    Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "path " + path.Replace("\0", "\\0"),
                        () => c.Call("GET", path));
                }
                foreach (var m in new[] { "FOO", "CONNECT", "", "GET ", "GET\0" })
                {
                    var method = m;
                    Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "method '" + method + "'",
                        () => c.Call(method, "/api/x"));
                }
                Support.Expect<ArgumentNullException>(null, "null method", () => c.Call(null, "/api/x"));
                Support.Expect<ArgumentNullException>(null, "null path", () => c.Call("GET", null));
                Assert.AreEqual(0, sb.Stat("b2copy", "other_calls") - calls, "nothing reached the sandbox");
                Assert.AreEqual(0, c.Stats().Requests, "no HTTP request at all");
            }
        }

        [Test]
        public void B2copyIdempotentOverridesTheMethodDefault()
        {
            const string path = "/api/admin/idem";
            const string fault = "{\"path\": \"" + path + "\", \"fault\": \"503\", \"times\": 1}";
            using (var c = NewClient())
            {
                c.Authenticate();
                sb.Control("faults", fault);
                var r = c.Call("POST", path, U("{}"));
                Assert.AreEqual(503, r.Status, "POST is not retried by default: " + r.BodyText);
                Assert.AreEqual(0, c.Stats().Retries, "no retry");
                sb.Control("faults", fault);
                r = c.Call("POST", path, U("{}"), idempotent: true);
                Assert.AreEqual(200, r.Status, "an idempotent POST is retried: " + r.BodyText);
                var s = c.Stats();
                Assert.AreEqual(1, s.Retries, "one retry: " + s.Json);
                long n;
                Assert.IsTrue(s.RetriesByCause.TryGetValue("status_5xx", out n) && n == 1, "status_5xx: " + s.Json);
                sb.Control("faults", fault);
                r = c.Call("GET", path, idempotent: false);
                Assert.AreEqual(503, r.Status, "a GET marked not idempotent is not retried");
                Assert.AreEqual(1, c.Stats().Retries, "still one retry");
            }
        }

        [Test]
        public void AccessTokenWorksWithAnotherHttpStack()
        {
            using (var c = NewClient())
            {
                var token = c.AccessToken();
                Assert.IsFalse(string.IsNullOrEmpty(token), "a token");
                Assert.IsTrue(token == c.AccessToken(), "the same token while it is valid");
                Assert.AreEqual(200, OwnGet(sb.Url + "/api/admin/own-stack", token), "the sandbox accepts the token");
                Assert.AreEqual(401, OwnGet(sb.Url + "/api/admin/own-stack", "x" + token), "another token is refused");
            }
        }

        static int OwnGet(string url, string token)
        {
            var req = (HttpWebRequest)WebRequest.Create(url);
            req.Headers["Authorization"] = "Bearer " + token;
            req.Timeout = 10000;
            try
            {
                using (var resp = (HttpWebResponse)req.GetResponse()) return (int)resp.StatusCode;
            }
            catch (WebException e)
            {
                var resp = e.Response as HttpWebResponse;
                if (resp == null) throw;
                using (resp) return (int)resp.StatusCode;
            }
        }

        [Test]
        public void CallOnADisposedClientThrows()
        {
            var c = NewClient();
            c.Dispose();
            Support.Expect<ObjectDisposedException>(null, "disposed", () => c.Call("GET", "/api/x"));
            Support.Expect<ObjectDisposedException>(null, "disposed", () => c.AccessToken());
        }

        // ------------------------------------------------------------------ B2BINPAY

        [Test]
        public void B2binpayCallIsEchoed()
        {
            using (var b = new B2binpay(new Dictionary<string, object> {
                { "base_url", sb.Url + "/b2binpay" }, { "login", "sandbox-login" }, { "password", "sandbox-password" } }))
            {
                long calls = sb.Stat("b2binpay", "other_calls"), logins = sb.Stat("b2binpay", "token_ok");
                var e = Echo(b.Call("GET", "/api/v3/wallet/?page=1"), "B2BINPAY GET");
                Assert.AreEqual("GET", e["method"]);
                Assert.AreEqual("/b2binpay/api/v3/wallet/", e["path"]);
                Assert.AreEqual("page=1", e["query"]);
                e = Echo(b.Call("POST", "/api/v3/payout/", U("{\"data\": {\"type\": \"payout\"}}"), true), "B2BINPAY POST");
                Assert.AreEqual("{\"data\":{\"type\":\"payout\"}}", Canon(e["body"]));
                Assert.AreEqual(2, sb.Stat("b2binpay", "other_calls") - calls, "two generic calls");
                Assert.AreEqual(1, sb.Stat("b2binpay", "token_ok") - logins, "one login");
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "B2BINPAY bad path", () => b.Call("GET", "/api/../x"));
            }
        }

        // ------------------------------------------------------------------ CRM Open API handle

        [Test]
        public void CrmSendsAndSignsTheNormalForm()
        {
            using (var crm = NewCrm())
            {
                long ok = sb.Stat("crm", "ok"), badSig = sb.Stat("crm", "invalid_signature");
                var pretty = "{ \"client\" : \"J\\u00fcrgen\",\n  \"amount\": 1.50 }";
                var e = Echo(crm.Call("POST", "/api/clients", U(pretty)), "CRM normal form");
                Assert.AreEqual("raw", e["signed"], "signed over the bytes sent");
                Assert.AreEqual("{\"amount\":1.5,\"client\":\"J\u00fcrgen\"}", Canon(e["body"]));
                Assert.AreEqual(1, sb.Stat("crm", "ok") - ok, "accepted");
                Assert.AreEqual(0, sb.Stat("crm", "invalid_signature") - badSig, "no signature refused");
            }
        }

        [Test]
        public void CrmBigIntegerNeedsRawMode()
        {
            var big = U("{\"amount\": 12345678901234567890}");
            using (var crm = NewCrm())
            {
                long requests = sb.Stat("crm", "requests");
                var e = Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "a big integer in the normal form",
                    () => crm.Call("POST", "/api/clients", big));
                StringAssert.Contains("raw", e.Message.ToLowerInvariant(), "the message names raw mode");
                Assert.AreEqual(0, sb.Stat("crm", "requests") - requests, "nothing sent");
                var r = crm.Call("POST", "/api/clients", big, raw: true);
                Assert.AreEqual("raw", Echo(r, "raw mode")["signed"]);
                StringAssert.Contains("12345678901234567890", r.BodyText, "the integer untouched");
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "normal form forced",
                    () => crm.Call("POST", "/api/clients", big, raw: false));
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "not JSON",
                    () => crm.Call("POST", "/api/clients", U("name=x")));
            }
            using (var raw = NewCrm(rawBody: true))
            {
                Assert.AreEqual(200, raw.Call("POST", "/api/clients", big).Status, "raw_body in the configuration");
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "normal form for one call",
                    () => raw.Call("POST", "/api/clients", big, null, false));
            }
        }

        [Test]
        public void CrmGetWithABodyIsRefused()
        {
            using (var crm = NewCrm())
            {
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "GET with a body", () => crm.Call("GET", "/api/x", U("{}")));
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "DELETE with a body", () => crm.Call("DELETE", "/api/x", U("{}")));
                Assert.AreEqual("limit=20", Echo(crm.Call("GET", "/api/clients?limit=20"), "GET without a body")["query"]);
                Assert.AreEqual(200, crm.Call("GET", "/api/clients", new byte[0]).Status, "an empty body is no body");
            }
        }

        [Test]
        public void CrmWrongApiKeyIsAuth()
        {
            long before = sb.Stat("crm", "invalid_api_key");
            using (var crm = new Crm("{\"base_url\": \"" + sb.Url + "/crm\", \"api_key\": \"not-registered\"}"))
            {
                Support.Expect<AuthException>(Status.AuthRejected, "invalid_api_key", () => crm.Call("GET", "/api/x"));
                Support.Expect<AuthException>(Status.AuthRejected, "invalid_api_key on POST", () => crm.Call("POST", "/api/x", U("{}")));
            }
            Assert.AreEqual(2, sb.Stat("crm", "invalid_api_key") - before);
        }

        [Test]
        public void CrmConfigErrors()
        {
            Support.Expect<InvalidArgumentException>(Status.Config, "no api_key",
                () => new Crm(new Dictionary<string, object> { { "base_url", "https://x.example" } }));
            Support.Expect<InvalidArgumentException>(Status.Config, "unknown key",
                () => new Crm(new Dictionary<string, object> { { "base_url", "https://x.example" }, { "api_key", "k" }, { "no_such_key", 1 } }));
            Support.Expect<InvalidArgumentException>(null, "http base_url",
                () => new Crm(new Dictionary<string, object> { { "base_url", "http://crm.example.com" }, { "api_key", "k" } }));
            Support.Expect<ArgumentNullException>(null, "null", () => new Crm((string)null));
        }

        [Test]
        public void CrmStatsCountTheCalls()
        {
            using (var crm = NewCrm())
            {
                long requests = sb.Stat("crm", "requests");
                crm.Call("GET", "/api/a");
                crm.Call("POST", "/api/b", U("{\"x\": 1}"));
                crm.Call("PUT", "/api/c", U("[1, 2]"), idempotent: true);
                Support.Expect<InvalidArgumentException>(null, "refused, not sent", () => crm.Call("FOO", "/api/d"));
                var s = crm.Stats();
                Assert.AreEqual(3, s.Requests, "stats: " + s.Json);
                Latency l;
                Assert.IsTrue(s.Latency.TryGetValue("call", out l) && l.Count == 3, "latency of endpoint call: " + s.Json);
                Assert.AreEqual(3, sb.Stat("crm", "requests") - requests, "the sandbox saw as many");
                Assert.AreEqual(0, s.AuthExchanges);
            }
        }

        [Test]
        public void CrmTraceSourceTakesTheHandlesEvents()
        {
            var mine = new Collector();
            var own = Support.NewSource("b2c-test-crm", mine);
            var global = new Collector();
            using (var crm = NewCrm())
            using (Support.ProcessWide(SourceLevels.Verbose, global))
            {
                crm.SetTraceSource(own, SourceLevels.Verbose);
                crm.Call("GET", "/api/logged");
                Assert.GreaterOrEqual(mine.Named("request").Count, 1, "the handle's source got the request:" + mine.Dump());
                Assert.AreEqual(0, global.Named("request").Count, "not the process-wide one:" + global.Dump());
                crm.SetTraceSource(null);
                mine.Clear();
                crm.Call("GET", "/api/logged");
                Assert.AreEqual(0, mine.Records.Count, "removed:" + mine.Dump());
                Assert.GreaterOrEqual(global.Named("request").Count, 1, "the process-wide routing again:" + global.Dump());
                foreach (var r in global.Records)
                    Assert.IsFalse(r.Message.Contains("sandbox-api-key"), "no API key in " + r);
                crm.SetTraceSource(own, SourceLevels.Off);
                mine.Clear();
                crm.Call("GET", "/api/logged");
                Assert.AreEqual(0, mine.Named("request").Count, "Off: no request event:" + mine.Dump());
            }
        }

        [Test]
        public void CrmDisposeDuringACallDefersTheFree()
        {
            // Dispose from inside the handle's own trace listener (the native call is still
            // running): SafeHandle must not free the handle until b2c_crm_call returns.
            var crm = NewCrm();
            int before = Thread.VolatileRead(ref B2cCrmHandle.Released);
            int during = -1;
            var listener = new ActionListener(() =>
            {
                if (during >= 0) return;
                crm.Dispose();
                during = Thread.VolatileRead(ref B2cCrmHandle.Released) - before;
            });
            crm.SetTraceSource(Support.NewSource("b2c-test-crm-dispose", listener), SourceLevels.Verbose);
            var r = crm.Call("GET", "/api/dispose");
            Assert.AreEqual(200, r.Status, "the call goes on after Dispose");
            Assert.AreEqual(0, during, "not freed while the native call runs");
            Assert.GreaterOrEqual(Thread.VolatileRead(ref B2cCrmHandle.Released) - before, 1, "freed once the call returned");
            Assert.IsTrue(crm.IsDisposed);
            Support.Expect<ObjectDisposedException>(null, "disposed", () => crm.Call("GET", "/api/x"));
            Support.Expect<ObjectDisposedException>(null, "disposed", () => crm.Stats());
            crm.Dispose(); // idempotent
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        void MakeGarbage(int n)
        {
            var src = Support.NewSource("b2c-test-crm-gc", new Collector());
            for (int i = 0; i < n; i++) NewCrm().SetTraceSource(src, SourceLevels.Verbose);
        }

        [Test]
        public void UndisposedCrmHandlesAreFreedByTheFinalizer()
        {
            int before = Thread.VolatileRead(ref B2cCrmHandle.Released);
            var t = new Thread(() => MakeGarbage(20)); // no reference left on this thread's stack
            t.Start();
            t.Join();
            for (int i = 0; i < 5 && Thread.VolatileRead(ref B2cCrmHandle.Released) - before < 20; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            Assert.GreaterOrEqual(Thread.VolatileRead(ref B2cCrmHandle.Released) - before, 10, "freed by the finalizer");
            using (var crm = NewCrm()) Assert.AreEqual(200, crm.Call("GET", "/api/after-gc").Status);
        }

        // ------------------------------------------------------------------ RetailCRM accounts

        string RegisterForm(string apiKey, string token)
        {
            return "register%5BsystemUrl%5D=" + Uri.EscapeDataString(sb.Url + "/retailcrm")
                + "&register%5BapiKey%5D=" + Uri.EscapeDataString(apiKey) + "&register%5Btoken%5D=" + token;
        }

        [Test]
        public void RetailCrmRegistersTwoAccounts()
        {
            const string secret = "mod-secret";
            var form = RegisterForm("sandbox-api-key", RetailCrm.Token(secret, "sandbox-api-key"));
            long edits = sb.Stat("retailcrm", "edit_calls"), oks = sb.Stat("retailcrm", "edit_ok");
            for (int i = 1; i <= 2; i++)
            {
                var account = "{\"clientId\":\"acct-" + i + "\",\"accountUrl\":\"https://m.example.com/acct/" + i + "\"}";
                var r = RetailCrm.RegisterAccount(secret, form, Module, account);
                Assert.IsTrue(r.Registered, "account " + i + ": " + r);
                Assert.IsTrue(r.ApiKey == "sandbox-api-key", "the account's API key");
                Assert.AreEqual(sb.Url + "/retailcrm", r.SystemUrl);
                Assert.IsNull(r.Error, "no error: " + r);
                Assert.IsNull(r.FieldErrors, "no field errors: " + r);
                Assert.AreEqual("{\"accountUrl\":\"https://m.example.com/acct/" + i + "\",\"success\":true}",
                    Canon(Json.Parse(r.Answer)), "the answer with the account's accountUrl");
                Assert.IsFalse(r.ToString().Contains("sandbox-api-key"), "ToString hides the API key: " + r);
            }
            Assert.AreEqual(2, sb.Stat("retailcrm", "edit_calls") - edits);
            Assert.AreEqual(2, sb.Stat("retailcrm", "edit_ok") - oks);
            var again = RetailCrm.RegisterAccount(secret, Encoding.UTF8.GetBytes(form), Module, null, "{\"deadline_ms\": 10000}");
            Assert.IsTrue(again.Registered, "module fields alone, byte[] form, HTTP configuration: " + again);
        }

        [Test]
        public void RetailCrmWrongTokenIsNotRegistered()
        {
            var form = RegisterForm("sandbox-api-key", new string('0', 64));
            long edits = sb.Stat("retailcrm", "edit_calls");
            var r = RetailCrm.RegisterAccount("mod-secret", form, Module, "{\"clientId\": \"acct-x\"}");
            Assert.IsFalse(r.Registered, "wrong token: " + r);
            Assert.IsNull(r.ApiKey, "no API key when not registered");
            Assert.IsNotNull(r.Error, "a reason");
            Assert.AreEqual(sb.Url + "/retailcrm", r.SystemUrl, "the form parsed");
            Assert.AreEqual(false, ((Dictionary<string, object>)Json.Parse(r.Answer))["success"], r.Answer);
            Assert.AreEqual(0, sb.Stat("retailcrm", "edit_calls") - edits, "no outgoing call");
        }

        [Test]
        public void RetailCrmFieldErrorsReachTheCaller()
        {
            const string secret = "mod-secret";
            var form = RegisterForm("sandbox-api-key", RetailCrm.Token(secret, "sandbox-api-key"));
            sb.Control("retailcrm/field-errors", "{\"errors\": {\"integrationModule[clientId]\": \"clientId is taken\"}, \"times\": 1}");
            var r = RetailCrm.RegisterAccount(secret, form, Module, "{\"clientId\": \"acct-taken\"}");
            Assert.IsFalse(r.Registered, "refused: " + r);
            Assert.IsNull(r.ApiKey);
            Assert.IsNotNull(r.FieldErrors, "field errors: " + r);
            Assert.AreEqual(1, r.FieldErrors.Count, "field errors: " + r);
            Assert.AreEqual("clientId is taken", r.FieldErrors["integrationModule[clientId]"]);
            Assert.IsNotNull(r.Error);
            Assert.IsTrue(RetailCrm.RegisterAccount(secret, form, Module, "{\"clientId\": \"acct-taken\"}").Registered,
                "times: 1, the next registration goes through");
        }

        [Test]
        public void RetailCrmInvalidAccountJson()
        {
            var form = RegisterForm("sandbox-api-key", RetailCrm.Token("mod-secret", "sandbox-api-key"));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "account not an object",
                () => RetailCrm.RegisterAccount("mod-secret", form, Module, "[1]"));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "module not JSON",
                () => RetailCrm.RegisterAccount("mod-secret", form, "{"));
            Support.Expect<ArgumentNullException>(null, "null module",
                () => RetailCrm.RegisterAccount("mod-secret", form, null));
        }

        // ------------------------------------------------------------------ value types

        [Test]
        public void ResponseValueType()
        {
            var b = U("{\"a\": [1, 2.5, \"\u00e9\"]}");
            var r = new Response(201, b);
            b[0] = (byte)'x';
            Assert.AreEqual(201, r.Status);
            Assert.AreEqual("{\"a\": [1, 2.5, \"\u00e9\"]}", r.BodyText, "the body was copied");
            r.Body[0] = (byte)'y';
            Assert.AreEqual((byte)'{', r.Body[0], "Body returns a copy");
            Assert.AreEqual("{\"a\":[1,2.5,\"\u00e9\"]}", Canon(r.Json()));
            Assert.IsFalse(r.ToString().Contains("\u00e9"), "ToString shows no body: " + r);
            Assert.AreEqual(0, new Response(204, new byte[0]).Body.Length);
            Support.Expect<FormatException>(null, "not JSON", () => new Response(200, U("<html>")).Json());
            Assert.IsTrue(typeof(Response).IsSealed);
        }

        [Test]
        public void RegistrationValueType()
        {
            var r = new Registration(true, "{}", "https://s.example", "secret-key", null,
                new Dictionary<string, string> { { "f", "m" } });
            Assert.IsTrue(r.Registered);
            Assert.AreEqual("secret-key", r.ApiKey);
            Assert.AreEqual("m", r.FieldErrors["f"]);
            Assert.IsFalse(r.ToString().Contains("secret-key"), r.ToString());
            var parsed = Registration.Parse("{\"registered\":false,\"answer\":\"{}\",\"system_url\":null,\"api_key\":null,"
                + "\"error\":\"e\",\"field_errors\":[\"one\",{\"x\":1}],\"new_key\":7}");
            Assert.AreEqual("one", parsed.FieldErrors["0"], "a list of messages keyed by index");
            Assert.AreEqual("{\"x\":1}", parsed.FieldErrors["1"], "a non-string message as JSON");
            Support.Expect<InternalException>(null, "malformed", () => Registration.Parse("{\"registered\":1}"));
        }

        [Test]
        public void CallOptionsLayout()
        {
            Assert.AreEqual(IntPtr.Size + 8, Marshal.SizeOf(typeof(NativeMethods.CallOptions)), "sizeof(b2c_call_options)");
            var o = NativeMethods.CallOptions.Of(1, 2);
            Assert.AreEqual((ulong)(IntPtr.Size + 8), o.struct_size.ToUInt64());
            Assert.AreEqual(1, o.idempotent);
            Assert.AreEqual(2, o.raw_body);
            Assert.AreEqual(new[] { 0, 1, 2 }, new[] { Calls.Tri(null), Calls.Tri(true), Calls.Tri(false) });
        }
    }

    /// <summary>Runs an action on every event (for Dispose-inside-a-call).</summary>
    sealed class ActionListener : TraceListener
    {
        readonly Action action;

        public ActionListener(Action action) { this.action = action; }

        public override void TraceEvent(TraceEventCache cache, string source, TraceEventType type, int id, string message)
        {
            action();
        }

        public override void Write(string message) { }
        public override void WriteLine(string message) { }
    }
}
