// Smoke/integration test of the C# binding. Plain C#: prints "N passed, N failed".
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using B2c;

static class TestMain
{
    static int passed, failed;

    static void Check(bool cond, string what)
    {
        if (cond) Interlocked.Increment(ref passed);
        else
        {
            Interlocked.Increment(ref failed);
            Console.Error.WriteLine("FAIL: " + what);
        }
    }

    static T Expect<T>(Status? status, string what, Action body) where T : Exception
    {
        try
        {
            body();
            Check(false, what + ": no exception");
        }
        catch (Exception e)
        {
            var t = e as T;
            Check(t != null, what + ": got " + e);
            if (t != null && status.HasValue)
            {
                var b = e as B2cException;
                Check(b != null && b.Status == status.Value, what + ": status " + (b == null ? "-" : b.Status.ToString()) + " want " + status);
                Check(!string.IsNullOrEmpty(e.Message), what + ": empty message");
            }
            return t;
        }
        return null;
    }

    static string Root()
    {
        var r = Environment.GetEnvironmentVariable("B2C_ROOT");
        return string.IsNullOrEmpty(r) ? "." : r;
    }

    static int Main(string[] args)
    {
        try
        {
            Basics(args.Length > 0 ? args[0] : null);
            Signatures();
            JsonTests();
            Keys();
            JwtTests();
            Config();
            OtherProtocolsOffline();
            SandboxFlow();
        }
        catch (Exception e)
        {
            Check(false, "unexpected exception: " + e);
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    // ---------------------------------------------------------------------------- basics

    static void Basics(string expectedVersion)
    {
        if (expectedVersion != null) Check(B2cLibrary.Version == expectedVersion, "version " + B2cLibrary.Version + " vs " + expectedVersion);
        Check(B2cLibrary.StatusString(0) == "ok", "StatusString(0)");
        Check(B2cLibrary.StatusString(-1) == "unknown status", "StatusString(-1)");
        Check(B2cLibrary.StatusString(1000) == "unknown status", "StatusString(1000)");
        foreach (Status s in Enum.GetValues(typeof(Status)))
        {
            var d = B2cLibrary.StatusString((int)s);
            Check(!string.IsNullOrEmpty(d) && d != "unknown status", "StatusString " + s + ": " + d);
        }
    }

    // ---------------------------------------------------------------------------- HMAC

    static string Reference(byte[] key, byte[] payload)
    {
        using (var h = new HMACSHA256(key))
        {
            var d = h.ComputeHash(payload);
            var sb = new StringBuilder("sha256=");
            foreach (var b in d) sb.Append(b.ToString("x2"));
            return sb.ToString();
        }
    }

    static void Signatures()
    {
        Check(Signature.Sign(Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?"))
              == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "RFC 4231 test case 2");
        Check(Signature.Sign(new byte[0], new byte[0])
              == "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", "empty key and payload");
        var rnd = new Random(12345);
        int mismatches = 0;
        for (int i = 0; i < 300; i++)
        {
            var key = new byte[rnd.Next(i % 10 == 0 ? 200 : 70)];
            var payload = new byte[rnd.Next(i % 7 == 0 ? 5000 : 300)];
            rnd.NextBytes(key);
            rnd.NextBytes(payload);
            if (Signature.Sign(key, payload) != Reference(key, payload)) mismatches++;
        }
        Check(mismatches == 0, "300 random HMACs match HMACSHA256 (" + mismatches + " mismatches)");
        Check(Signature.Sign(Encoding.UTF8.GetBytes("k"), "a\0b") == Reference(Encoding.UTF8.GetBytes("k"), new byte[] { 97, 0, 98 }),
              "NUL in payload");
    }

    // ---------------------------------------------------------------------------- JSON

    static void JsonTests()
    {
        var m = new Dictionary<string, object>();
        m["s"] = "a\"b\\c\n\r\t\b\f\u0001/é✓😀";
        m["i"] = 42;
        m["l"] = 1L << 40;
        m["u"] = ulong.MaxValue;
        m["d"] = 1.5;
        m["t"] = true;
        m["f"] = false;
        m["n"] = null;
        var j = Json.Encode(m);
        var want = "{\"s\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001/é✓😀\",\"i\":42,\"l\":1099511627776,"
                   + "\"u\":18446744073709551615,\"d\":1.5,\"t\":true,\"f\":false,\"n\":null}";
        Check(j == want, "Json.Encode: " + j);
        Check(Json.Encode(new Dictionary<string, object> { { "x", "\ud800" } }) == "{\"x\":\"\\ud800\"}", "lone surrogate escaped");
        Expect<ArgumentException>(null, "NaN", () => Json.Encode(new Dictionary<string, object> { { "x", double.NaN } }));
        Expect<ArgumentException>(null, "list value", () => Json.Encode(new Dictionary<string, object> { { "x", new List<int>() } }));
    }

    // ---------------------------------------------------------------------------- keys

    static void Keys()
    {
        string fx = Root() + "/tests/fixtures/keys/";
        using (var k = Key.Generate())
        {
            var priv = k.PrivatePem();
            var pub = k.PublicPem();
            Check(priv.StartsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
            Check(pub.StartsWith("-----BEGIN PUBLIC KEY-----"), "SPKI PEM");
            using (var k2 = Key.FromPem(priv))
            {
                Check(k2.PublicPem() == pub, "reloaded key has the same public key");
                Check(k2.PrivatePem() == priv, "reloaded key has the same private PEM");
            }
            k.Dispose();
            k.Dispose();
            Expect<ObjectDisposedException>(null, "use after dispose", () => k.PublicPem());
        }
        using (var a = Key.FromFile(fx + "p256_pkcs8.pem"))
        using (var b = Key.FromFile(fx + "p256_sec1.pem"))
            Check(a.PublicPem().Contains("PUBLIC KEY") && b.PublicPem().Contains("PUBLIC KEY"), "fixtures load");
        var bad = new[] {
            Tuple.Create("rsa_pkcs8.pem", Status.KeyUnsupportedType),
            Tuple.Create("p384_pkcs8.pem", Status.KeyUnsupportedCurve),
            Tuple.Create("p256_encrypted_pkcs8.pem", Status.KeyEncrypted),
            Tuple.Create("garbage_pkcs8.pem", Status.KeyInvalid),
            Tuple.Create("ed25519_pkcs8.pem", Status.KeyUnsupportedType),
            Tuple.Create("not_pem.txt", Status.KeyInvalid),
        };
        foreach (var b in bad)
        {
            Expect<KeyFormatException>(b.Item2, "FromFile " + b.Item1, () => Key.FromFile(fx + b.Item1).Dispose());
            var pem = File.ReadAllText(fx + b.Item1);
            Expect<KeyFormatException>(b.Item2, "FromPem " + b.Item1, () => Key.FromPem(pem).Dispose());
        }
        Expect<InvalidArgumentException>(Status.Io, "missing key file", () => Key.FromFile("/nonexistent/k.pem"));
        Expect<KeyFormatException>(Status.KeyInvalid, "empty PEM", () => Key.FromPem(""));
    }

    // ---------------------------------------------------------------------------- JWT

    static string B64UrlDecode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        while (s.Length % 4 != 0) s += "=";
        return Encoding.UTF8.GetString(Convert.FromBase64String(s));
    }

    static void JwtTests()
    {
        using (var k = Key.Generate())
        {
            var jwt = Jwt.Mint(k, 42, "127.0.0.1", "kid1");
            var parts = jwt.Split('.');
            Check(parts.Length == 3 && parts.All(p => p.Length > 0), "JWT has 3 parts");
            var header = B64UrlDecode(parts[0]);
            var claims = B64UrlDecode(parts[1]);
            Check(header.Contains("\"alg\":\"ES256\"") && !header.Contains("kid"), "header " + header);
            Check(claims.Contains("\"admin_id\":42") && claims.Contains("\"device_ip\":\"127.0.0.1\"")
                  && claims.Contains("\"key_id\":\"kid1\"") && claims.Contains("\"iss\":\"b2c\""), "claims " + claims);
            var s = parts[2].Replace('-', '+').Replace('_', '/');
            while (s.Length % 4 != 0) s += "=";
            Check(Convert.FromBase64String(s).Length == 64, "raw r||s signature of 64 bytes");
            var jwt2 = Jwt.Mint(k, ulong.MaxValue, "10.0.0.1", "kid2", "crm", TimeSpan.FromSeconds(60), true);
            Check(B64UrlDecode(jwt2.Split('.')[0]).Contains("\"kid\":\"kid2\""), "kid header");
            var c2 = B64UrlDecode(jwt2.Split('.')[1]);
            Check(c2.Contains("\"iss\":\"crm\"") && c2.Contains("\"admin_id\":18446744073709551615"), "claims 2 " + c2);
        }
    }

    // ---------------------------------------------------------------------------- config

    static Dictionary<string, object> Cfg(string url, string pem)
    {
        return new Dictionary<string, object> {
            { "base_url", url }, { "admin_id", 42 }, { "device_ip", "127.0.0.1" }, { "key_id", "kid1" },
            { "private_key_pem", pem }, { "poll_interval_ms", 20 },
        };
    }

    static void Config()
    {
        using (var k = Key.Generate())
        {
            var pem = k.PrivatePem();
            var m = Cfg("http://127.0.0.1:1", pem);
            m["user_agent"] = "b2c-cs-test \"quoted\" \\ é ✓\n";
            using (var c = new Client(m)) Check(c.MintJwt().Split('.').Length == 3, "client MintJwt");
            var bad = Cfg("http://127.0.0.1:1", pem);
            bad["no_such_key"] = 1;
            Expect<InvalidArgumentException>(Status.Config, "unknown config key", () => new Client(bad).Dispose());
            Expect<InvalidArgumentException>(Status.Config, "invalid JSON", () => new Client("{\"base_url\":").Dispose());
            Expect<InvalidArgumentException>(Status.InsecureUrl, "http to non-loopback", () => new Client(Cfg("http://example.com", pem)).Dispose());
            var wrong = Cfg("http://127.0.0.1:1", pem);
            wrong["poll_interval_ms"] = "fast";
            Expect<InvalidArgumentException>(Status.Config, "wrong type", () => new Client(wrong).Dispose());
        }
    }


    // ---------------------------------------------------------------------------- CRM, B2BINPAY, RetailCRM

    const string Module = "{\"code\":\"b2c-cs\",\"integrationCode\":\"b2c\",\"active\":true,\"name\":\"B2C\","
        + "\"clientId\":\"client-1\",\"baseUrl\":\"https://m.example.com\",\"accountUrl\":\"https://m.example.com/account\"}";

    static void OtherProtocolsOffline()
    {
        var body = Encoding.UTF8.GetBytes("{\"amount\":\"10.00\"}");
        var sig = CrmOpenApi.SignRequest("api-key", "POST", body);
        Check(sig == Reference(Encoding.UTF8.GetBytes("api-key"), body), "CRM signature = HMAC");
        Check(CrmOpenApi.SignRequest("api-key", "GET", null) == "", "CRM GET unsigned");
        Check(CrmOpenApi.VerifySignature("api-key", body, sig) && !CrmOpenApi.VerifySignature("x", body, sig), "CRM verify");
        Check(CrmOpenApi.VerifyWebhook(Encoding.UTF8.GetBytes("api-key"), body, sig.Substring(7)), "webhook bare hex");
        Check(!CrmOpenApi.VerifyWebhook(Encoding.UTF8.GetBytes("x"), body, sig), "webhook wrong secret");
        const string good = "787e134c4b8beadf67c01364e5ec7e15dd0e4a26c1800407a2728227ee35ea0d";
        Check(B2binpay.VerifyCallback("sandbox-login", "sandbox-password", "2", "0.00100000", "track-1", "2024-01-01T00:00:00.000000Z", good),
              "B2BINPAY callback valid");
        Check(!B2binpay.VerifyCallback("sandbox-login", "sandbox-password", "2", "0.00100001", "track-1", "2024-01-01T00:00:00.000000Z", good),
              "B2BINPAY callback tampered");
        Expect<InvalidArgumentException>(Status.Config, "B2BINPAY unknown key",
            () => new B2binpay("{\"base_url\":\"http://127.0.0.1:1\",\"login\":\"l\",\"password\":\"p\",\"x\":1}").Dispose());
        var tok = RetailCrm.Token("secret", "api-key");
        Check(tok == "e757b68b52a38af45723dae04ea255b416e82ebc9de674cf18f3966131daaed5", "RetailCRM token");
        Check(RetailCrm.VerifyToken("secret", "api-key", tok) && !RetailCrm.VerifyToken("secret", "x", tok), "RetailCRM VerifyToken");
        Check(RetailCrm.ConfigResponse("[\"integration_read\"]", "https://m/r").Contains("\"registerUrl\":\"https://m/r\""), "ConfigResponse");
        Check(RetailCrm.RegisterSuccess("https://m/a").Contains("\"accountUrl\":\"https://m/a\""), "RegisterSuccess");
        Check(RetailCrm.ErrorResponse("bad \"x\"").Contains("\"errorMsg\":\"bad \\\"x\\\"\""), "ErrorResponse escaping");
        Expect<InvalidArgumentException>(Status.InvalidArgument, "ConfigResponse bad scopes", () => RetailCrm.ConfigResponse("nope", "https://m"));
    }

    static void OtherProtocolsSandbox(string url)
    {
        using (var b = new B2binpay(new Dictionary<string, object> { { "base_url", url + "/b2binpay" }, { "login", "sandbox-login" }, { "password", "sandbox-password" } }))
        {
            b.Login();
            b.Refresh();
            bool susp;
            var t = b.AccessToken(out susp);
            Check(t.Length > 0 && !susp, "B2BINPAY access token");
            ulong logins, refreshes, suspicious;
            b.Counters(out logins, out refreshes, out suspicious);
            Check(logins >= 1 && refreshes >= 1 && suspicious == 0, "B2BINPAY counters");
        }
        using (var b = new B2binpay(new Dictionary<string, object> { { "base_url", url + "/b2binpay" }, { "login", "sandbox-login" }, { "password", "nope" } }))
            Expect<AuthException>(Status.AuthRejected, "B2BINPAY bad password", () => b.Login());
        RetailCrm.EditModule(url + "/retailcrm", "sandbox-api-key", Module);
        Check(true, "RetailCRM EditModule");
        Expect<B2cException>(null, "RetailCRM EditModule wrong key", () => RetailCrm.EditModule(url + "/retailcrm", "wrong", Module));
        var form = "register%5BsystemUrl%5D=" + Uri.EscapeDataString(url + "/retailcrm")
            + "&register%5BapiKey%5D=sandbox-api-key&register%5Btoken%5D=" + RetailCrm.Token("module-secret", "sandbox-api-key");
        var answer = RetailCrm.HandleRegister("module-secret", form, Module);
        Check(answer.Contains("\"success\":true"), "RetailCRM HandleRegister: " + answer);
        answer = RetailCrm.HandleRegister("other-secret", form, Module);
        Check(answer.Contains("\"success\":false"), "RetailCRM HandleRegister bad token: " + answer);
    }

    // ---------------------------------------------------------------------------- sandbox

    sealed class Sandbox : IDisposable
    {
        public readonly Process Proc;
        public readonly string Url;

        public Sandbox(string pubPem)
        {
            var bin = Environment.GetEnvironmentVariable("B2C_SANDBOX");
            if (string.IsNullOrEmpty(bin)) bin = Root() + "/target/release/b2c-sandbox";
            var psi = new ProcessStartInfo(bin, "--port 0 --register \"kid1:42:" + pubPem + "\" --pending-polls 2 --error-login 999999")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
            };
            Proc = Process.Start(psi);
            var line = Proc.StandardOutput.ReadLine();
            const string prefix = "b2c-sandbox listening on ";
            if (line == null || !line.StartsWith(prefix))
            {
                try { Proc.Kill(); } catch (Exception) { }
                throw new Exception("sandbox said: " + line);
            }
            Url = line.Substring(prefix.Length).Trim();
        }

        public void Dispose()
        {
            try { if (!Proc.HasExited) Proc.Kill(); } catch (Exception) { }
            Proc.WaitForExit(5000);
            Proc.Dispose();
        }
    }

    static void SandboxFlow()
    {
        var dir = Path.Combine(Path.GetTempPath(), "b2c-cs-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var pubPath = Path.Combine(dir, "pub.pem");
        string url;
        try
        {
            using (var key = Key.Generate())
            {
                File.WriteAllText(pubPath, key.PublicPem());
                var pem = key.PrivatePem();
                using (var sb = new Sandbox(pubPath))
                using (var c = new Client(Cfg(sb.Url, pem)))
                {
                    url = sb.Url;
                    Console.WriteLine("sandbox at " + sb.Url);
                    c.Authenticate();
                    Check(true, "authenticate");

                    var r = c.FeeProcess("123456", "cs-req-1");
                    Check(r.Status == FeeStatus.Pending, "one-shot Pending: " + r);

                    var seen = new List<FeeProgress>();
                    r = c.FeeProcess("123456", "cs-req-1", TimeSpan.FromSeconds(20), p =>
                    {
                        seen.Add(p);
                        GC.Collect(); // the delegate must survive a GC during the call
                        GC.WaitForPendingFinalizers();
                        return true;
                    });
                    Check(r.IsSuccess, "wait Success: " + r);
                    Check(seen.Count >= 2, "progress calls " + seen.Count);
                    bool increasing = true;
                    for (int i = 0; i < seen.Count; i++)
                    {
                        if (seen[i].Attempt != i + 1) increasing = false;
                        if (i > 0 && seen[i].Elapsed < seen[i - 1].Elapsed) increasing = false;
                    }
                    Check(increasing, "attempts 1,2,.. and elapsed non-decreasing: " + string.Join(", ", seen));
                    Check(seen.Count > 0 && seen[seen.Count - 1].Status == FeeStatus.Success, "last progress Success");

                    var fe = Expect<FeeException>(Status.FeeError, "error login",
                        () => c.FeeProcess("999999", "cs-req-3", TimeSpan.FromSeconds(20)));
                    if (fe != null)
                    {
                        Check(fe.FeeStatus == FeeStatus.Error, "FeeException.FeeStatus Error");
                        Check(fe.Message.Contains("insufficient funds"), "message has details: " + fe.Message);
                    }

                    int calls = 0;
                    Expect<CancelledException>(Status.Cancelled, "cancel",
                        () => c.FeeProcess("123456", "cs-req-2", TimeSpan.FromSeconds(20), p => { calls++; return false; }));
                    Check(calls == 1, "cancelled after one progress call: " + calls);

                    var boom = Expect<InvalidOperationException>(null, "callback exception propagates",
                        () => c.FeeProcess("123456", "cs-req-5", TimeSpan.FromSeconds(20), p => { throw new InvalidOperationException("boom"); }));
                    Check(boom != null && boom.Message == "boom", "the callback's own exception");

                    var slowCfg = Cfg(sb.Url, pem);
                    slowCfg["poll_interval_ms"] = 5000;
                    using (var slow = new Client(slowCfg))
                    {
                        var sp = Expect<StillPendingException>(Status.StillPending, "still pending",
                            () => slow.FeeProcess("123456", "cs-req-4", TimeSpan.FromSeconds(1)));
                        Check(sp != null && sp.FeeStatus == FeeStatus.Pending, "StillPending FeeStatus Pending");
                    }

                    var pe = Expect<ProtocolException>(Status.HttpStatus, "request id reused", () => c.FeeProcess("654321", "cs-req-1"));
                    Check(pe != null && pe.HttpStatus == 409, "HTTP 409");
                    Expect<InvalidArgumentException>(Status.InvalidArgument, "empty login", () => c.FeeProcess("", "cs-req-6"));

                    // 4 threads share one client
                    int ok = 0;
                    var threads = new List<Thread>();
                    for (int t = 0; t < 4; t++)
                    {
                        int ti = t;
                        var th = new Thread(() =>
                        {
                            for (int i = 0; i < 3; i++)
                            {
                                try
                                {
                                    int n = 0;
                                    var fr = c.FeeProcess("123456", "cs-thread-" + ti + "-" + i, TimeSpan.FromSeconds(20), p => { n++; return true; });
                                    if (fr.IsSuccess && n >= 1) Interlocked.Increment(ref ok);
                                }
                                catch (Exception e) { Check(false, "thread: " + e); }
                            }
                        });
                        th.Start();
                        threads.Add(th);
                    }
                    foreach (var th in threads) th.Join();
                    Check(ok == 12, "threads: " + ok + " of 12 succeeded");

                    OtherProtocolsSandbox(sb.Url);

                    using (var other = Key.Generate())
                    using (var bad = new Client(Cfg(sb.Url, other.PrivatePem())))
                    {
                        var ae = Expect<AuthException>(Status.AuthRejected, "unregistered key", () => bad.Authenticate());
                        Check(ae != null && ae.HttpStatus == 401, "HTTP 401");
                    }
                }
                var down = Cfg(url, pem);
                down["call_deadline_ms"] = 1500;
                down["connect_timeout_ms"] = 500;
                using (var c = new Client(down))
                    Expect<NetworkException>(null, "sandbox gone", () => c.Authenticate());
                var closed = new Client(Cfg(url, pem));
                closed.Dispose();
                Expect<ObjectDisposedException>(null, "client use after dispose", () => closed.Authenticate());
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (Exception) { }
        }
    }
}
