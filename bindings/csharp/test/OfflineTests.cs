// The checks of the former counted runner (test/TestMain.cs) that need no sandbox, one
// fixture per area; every assertion of it is kept (see also SandboxTests.cs).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    [TestFixture]
    public class BasicsTests
    {
        [Test]
        public void VersionIsTheExpectedOne()
        {
            var expected = Environment.GetEnvironmentVariable("B2C_EXPECTED_VERSION");
            if (string.IsNullOrEmpty(expected)) Assert.Ignore("B2C_EXPECTED_VERSION not set");
            Assert.AreEqual(expected, B2cLibrary.Version(), "version " + B2cLibrary.Version() + " vs " + expected);
        }

        [Test]
        public void VersionMatchesTheBinding()
        {
            Assert.AreEqual(BindingInfo.Version, B2cLibrary.Version(), "libb2c and B2c.dll versions");
        }

        [Test]
        public void StatusStringOfKnownAndUnknownCodes()
        {
            Assert.AreEqual("ok", B2cLibrary.StatusString(0), "StatusString(0)");
            Assert.AreEqual("unknown status", B2cLibrary.StatusString(-1), "StatusString(-1)");
            Assert.AreEqual("unknown status", B2cLibrary.StatusString(1000), "StatusString(1000)");
        }

        [Test]
        public void StatusStringOfEveryEnumValue()
        {
            foreach (Status s in Enum.GetValues(typeof(Status)))
            {
                var d = B2cLibrary.StatusString((int)s);
                Assert.IsTrue(!string.IsNullOrEmpty(d) && d != "unknown status", "StatusString " + s + ": " + d);
            }
        }
    }

    [TestFixture]
    public class SignatureTests
    {
        [Test]
        public void Rfc4231Case2()
        {
            Assert.AreEqual("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                Signature.Sign(Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?")),
                "RFC 4231 test case 2");
        }

        // Issue 9, point 1. The old check expected the HMAC under the empty key
        // ("sha256=b613679a...c5ad" for an empty key and payload); an empty key is now refused.
        [Test]
        public void EmptyKeyAndPayload()
        {
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "empty key and payload",
                () => Signature.Sign(new byte[0], new byte[0]));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "empty key, some payload",
                () => Signature.Sign(new byte[0], Encoding.ASCII.GetBytes("payload")));
            var k = Encoding.ASCII.GetBytes("k");
            Assert.AreEqual(Support.Reference(k, new byte[0]), Signature.Sign(k, new byte[0]), "an empty payload is still fine");
        }

        /// <summary>b2c_sign_payload itself: an empty key, NULL or not, is INVALID_ARGUMENT and
        /// nothing is written into the output buffer.</summary>
        [Test]
        public void EmptyKeyWritesNothing()
        {
            var payload = Encoding.ASCII.GetBytes("payload");
            foreach (var key in new byte[][] { null, new byte[0], new byte[] { 1 } })
            {
                var what = key == null ? "NULL key, length 0" : "non-NULL key, length 0";
                var output = new byte[Signature.Length + 1];
                for (int i = 0; i < output.Length; i++) output[i] = 0xAA;
                // A non-NULL pointer with length 0 (the one-byte array is passed with length 0).
                int rc = NativeMethods.Lib.b2c_sign_payload(key, UIntPtr.Zero, payload, (UIntPtr)payload.Length,
                    output, (UIntPtr)output.Length);
                Assert.AreEqual((int)Status.InvalidArgument, rc, what + ": status");
                Assert.IsTrue(output.All(b => b == 0xAA), what + ": output untouched");
            }
            var ok = new byte[Signature.Length + 1];
            var k = Encoding.ASCII.GetBytes("k");
            Assert.AreEqual(0, NativeMethods.Lib.b2c_sign_payload(k, (UIntPtr)1, null, UIntPtr.Zero, ok, (UIntPtr)ok.Length),
                "a key and a NULL, empty payload");
            Assert.AreEqual(Support.Reference(k, new byte[0]), Encoding.ASCII.GetString(ok, 0, Signature.Length), "empty payload HMAC");
            Assert.AreEqual(0, ok[Signature.Length], "NUL-terminated");
        }

        [Test]
        public void RandomHmacsMatchHmacSha256()
        {
            var rnd = new Random(12345);
            int mismatches = 0;
            int emptyKeys = 0;
            for (int i = 0; i < 300; i++)
            {
                var key = new byte[rnd.Next(i % 10 == 0 ? 200 : 70)];
                var payload = new byte[rnd.Next(i % 7 == 0 ? 5000 : 300)];
                rnd.NextBytes(key);
                rnd.NextBytes(payload);
                if (key.Length == 0)
                {
                    // Issue 9, point 1: an empty key is refused (it used to be signed).
                    emptyKeys++;
                    try { Signature.Sign(key, payload); mismatches++; }
                    catch (InvalidArgumentException e) { if (e.Status != Status.InvalidArgument) mismatches++; }
                    continue;
                }
                if (Signature.Sign(key, payload) != Support.Reference(key, payload)) mismatches++;
            }
            Assert.AreEqual(0, mismatches, "300 random HMACs match HMACSHA256, empty keys refused (" + mismatches + " mismatches)");
            Assert.Greater(emptyKeys, 0, "the sequence has empty keys");
        }

        [Test]
        public void NulInPayload()
        {
            Assert.AreEqual(Support.Reference(Encoding.UTF8.GetBytes("k"), new byte[] { 97, 0, 98 }),
                Signature.Sign(Encoding.UTF8.GetBytes("k"), "a\0b"), "NUL in payload");
        }
    }

    [TestFixture]
    public class JsonTests
    {
        [Test]
        public void EncodesEveryScalarType()
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
            Assert.AreEqual(want, j, "Json.Encode: " + j);
        }

        [Test]
        public void LoneSurrogateEscaped()
        {
            Assert.AreEqual("{\"x\":\"\\ud800\"}", Json.Encode(new Dictionary<string, object> { { "x", "\ud800" } }),
                "lone surrogate escaped");
        }

        [Test]
        public void RejectsNaNAndLists()
        {
            Support.Expect<ArgumentException>(null, "NaN", () => Json.Encode(new Dictionary<string, object> { { "x", double.NaN } }));
            Support.Expect<ArgumentException>(null, "list value", () => Json.Encode(new Dictionary<string, object> { { "x", new List<int>() } }));
        }
    }

    [TestFixture]
    public class KeyTests
    {
        static string Fx { get { return Support.Root() + "/tests/fixtures/keys/"; } }

        [Test]
        public void GenerateExportReloadDispose()
        {
            using (var k = Key.Generate())
            {
                var priv = k.PrivatePem();
                var pub = k.PublicPem();
                Assert.IsTrue(priv.StartsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
                Assert.IsTrue(pub.StartsWith("-----BEGIN PUBLIC KEY-----"), "SPKI PEM");
                using (var k2 = Key.FromPem(priv))
                {
                    Assert.AreEqual(pub, k2.PublicPem(), "reloaded key has the same public key");
                    Assert.AreEqual(priv, k2.PrivatePem(), "reloaded key has the same private PEM");
                }
                k.Dispose();
                k.Dispose();
                Support.Expect<ObjectDisposedException>(null, "use after dispose", () => k.PublicPem());
            }
        }

        [Test]
        public void FixturesLoad()
        {
            using (var a = Key.FromFile(Fx + "p256_pkcs8.pem"))
            using (var b = Key.FromFile(Fx + "p256_sec1.pem"))
                Assert.IsTrue(a.PublicPem().Contains("PUBLIC KEY") && b.PublicPem().Contains("PUBLIC KEY"), "fixtures load");
        }

        [TestCase("rsa_pkcs8.pem", Status.KeyUnsupportedType)]
        [TestCase("p384_pkcs8.pem", Status.KeyUnsupportedCurve)]
        [TestCase("p256_encrypted_pkcs8.pem", Status.KeyEncrypted)]
        [TestCase("garbage_pkcs8.pem", Status.KeyInvalid)]
        [TestCase("ed25519_pkcs8.pem", Status.KeyUnsupportedType)]
        [TestCase("not_pem.txt", Status.KeyInvalid)]
        public void BadKeyIsKeyFormatException(string file, Status status)
        {
            Support.Expect<KeyFormatException>(status, "FromFile " + file, () => Key.FromFile(Fx + file).Dispose());
            var pem = File.ReadAllText(Fx + file);
            Support.Expect<KeyFormatException>(status, "FromPem " + file, () => Key.FromPem(pem).Dispose());
        }

        [Test]
        public void MissingKeyFileIsIoException()
        {
            var e = Support.Expect<IoException>(Status.Io, "missing key file", () => Key.FromFile("/nonexistent/k.pem"));
            Assert.AreEqual(typeof(IoException), e.GetType(), "exactly IoException");
        }

        [Test]
        public void EmptyPemIsKeyInvalid()
        {
            Support.Expect<KeyFormatException>(Status.KeyInvalid, "empty PEM", () => Key.FromPem(""));
        }
    }

    [TestFixture]
    public class JwtTests
    {
        static string B64UrlDecode(string s)
        {
            s = s.Replace('-', '+').Replace('_', '/');
            while (s.Length % 4 != 0) s += "=";
            return Encoding.UTF8.GetString(Convert.FromBase64String(s));
        }

        [Test]
        public void MintDefaultAndCustom()
        {
            using (var k = Key.Generate())
            {
                var jwt = Jwt.Mint(k, 42, "127.0.0.1", "kid1");
                var parts = jwt.Split('.');
                Assert.IsTrue(parts.Length == 3 && parts.All(p => p.Length > 0), "JWT has 3 parts");
                var header = B64UrlDecode(parts[0]);
                var claims = B64UrlDecode(parts[1]);
                Assert.IsTrue(header.Contains("\"alg\":\"ES256\"") && !header.Contains("kid"), "header " + header);
                Assert.IsTrue(claims.Contains("\"admin_id\":42") && claims.Contains("\"device_ip\":\"127.0.0.1\"")
                      && claims.Contains("\"key_id\":\"kid1\"") && claims.Contains("\"iss\":\"b2c\""), "claims " + claims);
                var s = parts[2].Replace('-', '+').Replace('_', '/');
                while (s.Length % 4 != 0) s += "=";
                Assert.AreEqual(64, Convert.FromBase64String(s).Length, "raw r||s signature of 64 bytes");
                var jwt2 = Jwt.Mint(k, ulong.MaxValue, "10.0.0.1", "kid2", "crm", TimeSpan.FromSeconds(60), true);
                Assert.IsTrue(B64UrlDecode(jwt2.Split('.')[0]).Contains("\"kid\":\"kid2\""), "kid header");
                var c2 = B64UrlDecode(jwt2.Split('.')[1]);
                Assert.IsTrue(c2.Contains("\"iss\":\"crm\"") && c2.Contains("\"admin_id\":18446744073709551615"), "claims 2 " + c2);
            }
        }
    }

    [TestFixture]
    public class ConfigTests
    {
        string pem;

        [TestFixtureSetUp]
        public void MakeKey() { using (var k = Key.Generate()) pem = k.PrivatePem(); }

        [Test]
        public void ClientMintJwtWithOddUserAgent()
        {
            var m = Support.Cfg("http://127.0.0.1:1", pem);
            m["user_agent"] = "b2c-cs-test \"quoted\" \\ é ✓";
            using (var c = new Client(m)) Assert.AreEqual(3, c.MintJwt().Split('.').Length, "client MintJwt");
            // Issue 9, point 7: the old check's user agent ended in "\n"; CR/LF is now refused
            // when the configuration is read.
            foreach (var ua in new[] { "b2c-cs-test \"quoted\" \\ é ✓\n", "b2c\r\nX-Injected: 1" })
            {
                m["user_agent"] = ua;
                Support.Expect<InvalidArgumentException>(Status.Config, "user_agent with CR/LF", () => new Client(m).Dispose());
            }
        }

        [Test]
        public void UnknownKey()
        {
            var bad = Support.Cfg("http://127.0.0.1:1", pem);
            bad["no_such_key"] = 1;
            Support.Expect<InvalidArgumentException>(Status.Config, "unknown config key", () => new Client(bad).Dispose());
        }

        [Test]
        public void InvalidJson()
        {
            Support.Expect<InvalidArgumentException>(Status.Config, "invalid JSON", () => new Client("{\"base_url\":").Dispose());
        }

        [Test]
        public void HttpToNonLoopback()
        {
            Support.Expect<InvalidArgumentException>(Status.InsecureUrl, "http to non-loopback",
                () => new Client(Support.Cfg("http://example.com", pem)).Dispose());
        }

        [Test]
        public void WrongType()
        {
            var wrong = Support.Cfg("http://127.0.0.1:1", pem);
            wrong["poll_interval_ms"] = "fast";
            Support.Expect<InvalidArgumentException>(Status.Config, "wrong type", () => new Client(wrong).Dispose());
        }
    }

    [TestFixture]
    public class OfflineProtocolTests
    {
        [Test]
        public void CrmOpenApiSignAndVerify()
        {
            var body = Encoding.UTF8.GetBytes("{\"amount\":\"10.00\"}");
            var sig = CrmOpenApi.SignRequest("api-key", "POST", body);
            Assert.AreEqual(Support.Reference(Encoding.UTF8.GetBytes("api-key"), body), sig, "CRM signature = HMAC");
            Assert.AreEqual("", CrmOpenApi.SignRequest("api-key", "GET", null), "CRM GET unsigned");
            Assert.IsTrue(CrmOpenApi.VerifySignature("api-key", body, sig) && !CrmOpenApi.VerifySignature("x", body, sig), "CRM verify");
            Assert.IsTrue(CrmOpenApi.VerifyWebhook(Encoding.UTF8.GetBytes("api-key"), body, sig.Substring(7)), "webhook bare hex");
            Assert.IsFalse(CrmOpenApi.VerifyWebhook(Encoding.UTF8.GetBytes("x"), body, sig), "webhook wrong secret");
        }

        // Issue 9, point 2: an empty webhook secret, an empty or header-unsafe API key and an
        // unknown method are refused. The signatures are the ones the old library accepted
        // (an HMAC under the empty key), so a library that still verifies them fails here.
        [Test]
        public void WebhookEmptySecretIsInvalidArgument()
        {
            var body = Encoding.UTF8.GetBytes("{\"amount\":\"10.00\"}");
            var underEmptyKey = Support.Reference(new byte[0], body);
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "webhook empty secret, sha256= form",
                () => CrmOpenApi.VerifyWebhook(new byte[0], body, underEmptyKey));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "webhook empty secret, bare hex",
                () => CrmOpenApi.VerifyWebhook(new byte[0], body, underEmptyKey.Substring(7)));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "webhook empty secret, wrong signature",
                () => CrmOpenApi.VerifyWebhook(new byte[0], body, "sha256=" + new string('0', 64)));
        }

        [Test]
        public void CrmEmptyOrUnsafeApiKeyIsInvalidArgument()
        {
            var body = Encoding.UTF8.GetBytes("{\"amount\":\"10.00\"}");
            var underEmptyKey = Support.Reference(new byte[0], body);
            foreach (var key in new[] { "", "api-key\r\nX-Injected: 1", "api\nkey", "api\rkey" })
            {
                var what = "API key \"" + key.Replace("\r", "\\r").Replace("\n", "\\n") + "\"";
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "VerifySignature, " + what,
                    () => CrmOpenApi.VerifySignature(key, body, underEmptyKey));
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "SignRequest POST, " + what,
                    () => CrmOpenApi.SignRequest(key, "POST", body));
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "SignRequest GET, " + what,
                    () => CrmOpenApi.SignRequest(key, "GET", null));
            }
        }

        [Test]
        public void CrmSignRequestRefusesOtherMethods()
        {
            var body = Encoding.UTF8.GetBytes("{\"amount\":\"10.00\"}");
            // Old behaviour: OK with "" (no signature) for all of these.
            foreach (var m in new[] { "FOO", "POST ", " POST", "POST\n", "PO ST", "", "HEAD", "OPTIONS", "GETS" })
            {
                var what = "method \"" + m.Replace("\n", "\\n") + "\"";
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, what + " with a body",
                    () => CrmOpenApi.SignRequest("api-key", m, body));
                Support.Expect<InvalidArgumentException>(Status.InvalidArgument, what + " without a body",
                    () => CrmOpenApi.SignRequest("api-key", m, null));
            }
            // The five methods, in any case, are still fine.
            var sig = Support.Reference(Encoding.UTF8.GetBytes("api-key"), body);
            foreach (var m in new[] { "POST", "post", "Put", "PUT", "patch", "PaTcH" })
                Assert.AreEqual(sig, CrmOpenApi.SignRequest("api-key", m, body), m + " signs the body");
            foreach (var m in new[] { "GET", "get", "DELETE", "Delete" })
                Assert.AreEqual("", CrmOpenApi.SignRequest("api-key", m, body), m + " is unsigned");
            Assert.AreEqual("", CrmOpenApi.SignRequest("api-key", "post", null), "POST with an empty body is unsigned");
        }

        [Test]
        public void B2binpayCallbackAndConfig()
        {
            const string good = "787e134c4b8beadf67c01364e5ec7e15dd0e4a26c1800407a2728227ee35ea0d";
            Assert.IsTrue(B2binpay.VerifyCallback("sandbox-login", "sandbox-password", "2", "0.00100000", "track-1",
                "2024-01-01T00:00:00.000000Z", good), "B2BINPAY callback valid");
            Assert.IsFalse(B2binpay.VerifyCallback("sandbox-login", "sandbox-password", "2", "0.00100001", "track-1",
                "2024-01-01T00:00:00.000000Z", good), "B2BINPAY callback tampered");
            Support.Expect<InvalidArgumentException>(Status.Config, "B2BINPAY unknown key",
                () => new B2binpay("{\"base_url\":\"http://127.0.0.1:1\",\"login\":\"l\",\"password\":\"p\",\"x\":1}").Dispose());
        }

        [Test]
        public void RetailCrmHelpers()
        {
            var tok = RetailCrm.Token("secret", "api-key");
            Assert.AreEqual("e757b68b52a38af45723dae04ea255b416e82ebc9de674cf18f3966131daaed5", tok, "RetailCRM token");
            Assert.IsTrue(RetailCrm.VerifyToken("secret", "api-key", tok) && !RetailCrm.VerifyToken("secret", "x", tok), "RetailCRM VerifyToken");
            Assert.IsTrue(RetailCrm.ConfigResponse("[\"integration_read\"]", "https://m/r").Contains("\"registerUrl\":\"https://m/r\""), "ConfigResponse");
            Assert.IsTrue(RetailCrm.RegisterSuccess("https://m/a").Contains("\"accountUrl\":\"https://m/a\""), "RegisterSuccess");
            Assert.IsTrue(RetailCrm.ErrorResponse("bad \"x\"").Contains("\"errorMsg\":\"bad \\\"x\\\"\""), "ErrorResponse escaping");
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "ConfigResponse bad scopes",
                () => RetailCrm.ConfigResponse("nope", "https://m"));
        }

        // Issue 9, point 3.
        [Test]
        public void RetailCrmTokenEmptySecretOrApiKeyIsInvalidArgument()
        {
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "RetailCRM Token empty secret",
                () => RetailCrm.Token("", "api-key"));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "RetailCRM Token empty API key",
                () => RetailCrm.Token("secret", ""));
            Support.Expect<InvalidArgumentException>(Status.InvalidArgument, "RetailCRM Token both empty",
                () => RetailCrm.Token("", ""));
        }
    }
}
