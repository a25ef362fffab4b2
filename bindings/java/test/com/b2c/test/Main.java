package com.b2c.test;

import com.b2c.AuthException;
import com.b2c.B2binpay;
import com.b2c.CrmOpenApi;
import com.b2c.RetailCrm;
import com.b2c.B2c;
import com.b2c.B2cException;
import com.b2c.CancelledException;
import com.b2c.Client;
import com.b2c.FeeException;
import com.b2c.FeeProgress;
import com.b2c.FeeResult;
import com.b2c.FeeStatus;
import com.b2c.InvalidArgumentException;
import com.b2c.Json;
import com.b2c.Jwt;
import com.b2c.Key;
import com.b2c.KeyFormatException;
import com.b2c.NetworkException;
import com.b2c.ProtocolException;
import com.b2c.Signature;
import com.b2c.Status;
import com.b2c.StillPendingException;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Smoke/integration test of the Java binding. Plain Java: prints "N passed, N failed". */
public final class Main {
    private static final AtomicInteger passed = new AtomicInteger();
    private static final AtomicInteger failed = new AtomicInteger();

    static void check(boolean cond, String what) {
        if (cond) {
            passed.incrementAndGet();
        } else {
            failed.incrementAndGet();
            System.err.println("FAIL: " + what);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** Expects {@code body} to throw {@code type} with {@code status}; returns it. */
    static <T extends Throwable> T expect(Class<T> type, Status status, String what, Body body) {
        try {
            body.run();
            check(false, what + ": no exception");
        } catch (Throwable t) {
            boolean typeOk = type.isInstance(t);
            check(typeOk, what + ": got " + t);
            if (typeOk && status != null && t instanceof B2cException) {
                B2cException b = (B2cException) t;
                check(b.status() == status, what + ": status " + b.status() + " want " + status);
                check(b.getMessage() != null && !b.getMessage().isEmpty(), what + ": empty message");
            }
            if (typeOk) {
                return type.cast(t);
            }
        }
        return null;
    }

    static String root() {
        String r = System.getenv("B2C_ROOT");
        return r != null && !r.isEmpty() ? r : ".";
    }

    public static void main(String[] args) throws Exception {
        String expectedVersion = args.length > 0 ? args[0] : null;
        try {
            basics(expectedVersion);
            signatures();
            json();
            keys();
            jwt();
            config();
            otherProtocolsOffline();
            sandboxFlow();
        } catch (Throwable t) {
            check(false, "unexpected exception: " + t);
            t.printStackTrace();
        }
        System.out.println(passed.get() + " passed, " + failed.get() + " failed");
        System.exit(failed.get() == 0 ? 0 : 1);
    }

    // ------------------------------------------------------------------------------ basics

    static void basics(String expectedVersion) {
        if (expectedVersion != null) {
            check(expectedVersion.equals(B2c.version()), "version " + B2c.version() + " vs " + expectedVersion);
        } else {
            check(B2c.version().matches("\\d+\\.\\d+\\.\\d+.*"), "version shape");
        }
        check("ok".equals(B2c.statusString(0)), "statusString(0)");
        check("unknown status".equals(B2c.statusString(-1)), "statusString(-1)");
        check("unknown status".equals(B2c.statusString(1000)), "statusString(1000)");
        for (Status s : Status.values()) {
            if (s == Status.UNKNOWN) {
                continue;
            }
            String d = Status.describe(s.code());
            check(d != null && !d.isEmpty() && !d.equals("unknown status"), "describe " + s + ": " + d);
            check(Status.of(s.code()) == s, "Status.of " + s);
        }
        check(Status.of(7) == Status.UNKNOWN, "Status.of(7)");
    }

    // ------------------------------------------------------------------------------ HMAC

    static String hmacReference(byte[] key, byte[] payload) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        // SecretKeySpec rejects empty keys; HMAC with an empty key equals HMAC with one zero
        // byte (keys are zero-padded to the block size).
        mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
        byte[] d = mac.doFinal(payload);
        StringBuilder sb = new StringBuilder("sha256=");
        for (byte b : d) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    static void signatures() throws Exception {
        check(Signature.sign("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII))
                .equals("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            "RFC 4231 test case 2");
        check(Signature.sign(new byte[0], new byte[0])
                .equals("sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
            "empty key and payload");
        SecureRandom rnd = new SecureRandom();
        int mismatches = 0;
        for (int i = 0; i < 300; i++) {
            byte[] key = new byte[rnd.nextInt(i % 10 == 0 ? 200 : 70)];
            byte[] payload = new byte[rnd.nextInt(i % 7 == 0 ? 5000 : 300)];
            rnd.nextBytes(key);
            rnd.nextBytes(payload);
            String got = Signature.sign(key, payload);
            String want = hmacReference(key, payload);
            if (!got.equals(want)) {
                mismatches++;
                System.err.println("  key " + key.length + " payload " + payload.length + ": " + got + " != " + want);
            }
        }
        check(mismatches == 0, "300 random HMACs match javax.crypto.Mac (" + mismatches + " mismatches)");
        check(Signature.sign("k".getBytes(StandardCharsets.UTF_8), "a\0b")
            .equals(hmacReference("k".getBytes(StandardCharsets.UTF_8), new byte[] {'a', 0, 'b'})), "NUL in payload");
    }

    // ------------------------------------------------------------------------------ JSON

    static void json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\n\r\t\b\f\u0001/é✓😀");
        m.put("i", 42);
        m.put("l", 1L << 40);
        m.put("big", new BigInteger("18446744073709551615"));
        m.put("d", 1.5);
        m.put("dint", 20.0);
        m.put("t", true);
        m.put("f", false);
        m.put("n", null);
        String j = Json.encode(m);
        String want = "{\"s\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001/é✓😀\",\"i\":42,\"l\":1099511627776,"
            + "\"big\":18446744073709551615,\"d\":1.5,\"dint\":20,\"t\":true,\"f\":false,\"n\":null}";
        check(j.equals(want), "Json.encode: " + j);
        check(Json.encode(Map.of("x", "\ud800")).equals("{\"x\":\"\\ud800\"}"), "lone surrogate escaped");
        expect(IllegalArgumentException.class, null, "NaN", () -> Json.encode(Map.of("x", Double.NaN)));
        expect(IllegalArgumentException.class, null, "list value", () -> Json.encode(Map.of("x", List.of(1))));
    }

    // ------------------------------------------------------------------------------ keys

    static PublicKey publicKeyFromPem(String pem) throws Exception {
        String b64 = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    static void keys() throws Exception {
        String fixtures = root() + "/tests/fixtures/keys/";
        try (Key k = Key.generate()) {
            String priv = k.privatePem();
            String pub = k.publicPem();
            check(priv.startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
            check(pub.startsWith("-----BEGIN PUBLIC KEY-----"), "SPKI PEM");
            try (Key k2 = Key.fromPem(priv)) {
                check(k2.publicPem().equals(pub), "reloaded key has the same public key");
                check(k2.privatePem().equals(priv), "reloaded key has the same private PEM");
            }
            // Java can read both
            String b64 = priv.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
            check("EC".equals(publicKeyFromPem(pub).getAlgorithm()), "SPKI parses in Java");
            k.close();
            check(k.isClosed(), "closed");
            k.close(); // idempotent
            expect(IllegalStateException.class, null, "use after close", k::publicPem);
        }
        try (Key k = Key.fromFile(fixtures + "p256_pkcs8.pem"); Key k2 = Key.fromFile(Paths.get(fixtures + "p256_sec1.pem"))) {
            check(k.publicPem().contains("PUBLIC KEY") && k2.publicPem().contains("PUBLIC KEY"), "fixtures load");
        }
        String[][] bad = {
            {"rsa_pkcs8.pem", "KEY_UNSUPPORTED_TYPE"},
            {"p384_pkcs8.pem", "KEY_UNSUPPORTED_CURVE"},
            {"p256_encrypted_pkcs8.pem", "KEY_ENCRYPTED"},
            {"garbage_pkcs8.pem", "KEY_INVALID"},
            {"ed25519_pkcs8.pem", "KEY_UNSUPPORTED_TYPE"},
            {"not_pem.txt", "KEY_INVALID"},
        };
        for (String[] b : bad) {
            Status want = Status.valueOf(b[1]);
            expect(KeyFormatException.class, want, "fromFile " + b[0], () -> Key.fromFile(fixtures + b[0]).close());
            String pem = new String(Files.readAllBytes(Paths.get(fixtures + b[0])), StandardCharsets.UTF_8);
            expect(KeyFormatException.class, want, "fromPem " + b[0], () -> Key.fromPem(pem).close());
        }
        expect(InvalidArgumentException.class, Status.IO, "missing key file", () -> Key.fromFile("/nonexistent/k.pem"));
        expect(KeyFormatException.class, Status.KEY_INVALID, "empty PEM", () -> Key.fromPem(""));
    }

    // ------------------------------------------------------------------------------ JWT

    static byte[] b64url(String s) {
        return Base64.getUrlDecoder().decode(s);
    }

    /** JWS ES256 raw r||s (64 bytes) to ASN.1 DER for java.security.Signature. */
    static byte[] rawToDer(byte[] raw) {
        ByteArrayOutputStream seq = new ByteArrayOutputStream();
        for (int half = 0; half < 2; half++) {
            byte[] n = new BigInteger(1, java.util.Arrays.copyOfRange(raw, half * 32, half * 32 + 32)).toByteArray();
            seq.write(0x02);
            seq.write(n.length);
            seq.write(n, 0, n.length);
        }
        byte[] body = seq.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.write(body.length); // at most 2 * (2 + 33) = 70 < 128
        out.write(body, 0, body.length);
        return out.toByteArray();
    }

    static boolean verifyJwt(String jwt, PublicKey pub) throws Exception {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            return false;
        }
        byte[] sig = b64url(parts[2]);
        if (sig.length != 64) {
            return false;
        }
        java.security.Signature v = java.security.Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        return v.verify(rawToDer(sig));
    }

    static void jwt() throws Exception {
        try (Key k = Key.generate(); Key other = Key.generate()) {
            PublicKey pub = publicKeyFromPem(k.publicPem());
            String jwt = Jwt.mint(k, 42, "127.0.0.1", "kid1");
            String[] parts = jwt.split("\\.", -1);
            check(parts.length == 3, "JWT has 3 parts");
            String header = new String(b64url(parts[0]), StandardCharsets.UTF_8);
            String claims = new String(b64url(parts[1]), StandardCharsets.UTF_8);
            check(header.contains("\"alg\":\"ES256\"") && !header.contains("kid"), "header " + header);
            check(claims.contains("\"admin_id\":42") && claims.contains("\"device_ip\":\"127.0.0.1\"")
                && claims.contains("\"key_id\":\"kid1\"") && claims.contains("\"iss\":\"b2c\""), "claims " + claims);
            check(verifyJwt(jwt, pub), "ES256 signature verifies with java.security.Signature");
            check(!verifyJwt(jwt, publicKeyFromPem(other.publicPem())), "does not verify with another key");
            String tampered = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
            check(!verifyJwt(tampered, pub), "tampered claims do not verify");

            String jwt2 = Jwt.mint(k, -1L, "10.0.0.1", "kid2", "crm", Duration.ofSeconds(60), true);
            String h2 = new String(b64url(jwt2.split("\\.")[0]), StandardCharsets.UTF_8);
            String c2 = new String(b64url(jwt2.split("\\.")[1]), StandardCharsets.UTF_8);
            check(h2.contains("\"kid\":\"kid2\""), "kid header " + h2);
            check(c2.contains("\"iss\":\"crm\"") && c2.contains("\"admin_id\":18446744073709551615"),
                "issuer and unsigned admin_id: " + c2);
            check(verifyJwt(jwt2, pub), "JWT 2 verifies");
        }
    }

    // ------------------------------------------------------------------------------ config

    static Map<String, Object> config(String url, String pem) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base_url", url);
        m.put("admin_id", 42);
        m.put("device_ip", "127.0.0.1");
        m.put("key_id", "kid1");
        m.put("private_key_pem", pem);
        m.put("poll_interval_ms", 20);
        return m;
    }

    static void config() {
        try (Key k = Key.generate()) {
            String pem = k.privatePem();
            Map<String, Object> m = config("http://127.0.0.1:1", pem);
            m.put("user_agent", "b2c-java-test \"quoted\" \\ é ✓\n");
            try (Client c = new Client(m)) {
                check(c.mintJwt().split("\\.").length == 3, "client mintJwt");
            }
            Map<String, Object> bad = config("http://127.0.0.1:1", pem);
            bad.put("no_such_key", 1);
            expect(InvalidArgumentException.class, Status.CONFIG, "unknown config key", () -> new Client(bad).close());
            expect(InvalidArgumentException.class, Status.CONFIG, "invalid JSON", () -> new Client("{\"base_url\":").close());
            expect(InvalidArgumentException.class, Status.INSECURE_URL, "http to non-loopback",
                () -> new Client(config("http://example.com", pem)).close());
            Map<String, Object> wrongType = config("http://127.0.0.1:1", pem);
            wrongType.put("poll_interval_ms", "fast");
            expect(InvalidArgumentException.class, Status.CONFIG, "wrong type", () -> new Client(wrongType).close());
            expect(KeyFormatException.class, null, "bad key in config",
                () -> new Client(config("http://127.0.0.1:1", "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n")).close());
        }
    }


    // ------------------------------------------------------------------------------ CRM, B2BINPAY, RetailCRM

    static final String MODULE = "{\"code\":\"b2c-java\",\"integrationCode\":\"b2c\",\"active\":true,\"name\":\"B2C\","
        + "\"clientId\":\"client-1\",\"baseUrl\":\"https://m.example.com\",\"accountUrl\":\"https://m.example.com/account\"}";

    static void otherProtocolsOffline() throws Exception {
        byte[] body = "{\"amount\":\"10.00\"}".getBytes(StandardCharsets.UTF_8);
        String sig = CrmOpenApi.signRequest("api-key", "POST", body);
        check(sig.equals(hmacReference("api-key".getBytes(StandardCharsets.UTF_8), body)), "CRM signature = HMAC");
        check(CrmOpenApi.signRequest("api-key", "GET", null).isEmpty(), "CRM GET unsigned");
        check(CrmOpenApi.verifySignature("api-key", body, sig), "CRM verify ok");
        check(!CrmOpenApi.verifySignature("api-kez", body, sig), "CRM verify wrong key");
        check(CrmOpenApi.verifyWebhook("api-key".getBytes(StandardCharsets.UTF_8), body, sig.substring(7)), "webhook bare hex");
        check(!CrmOpenApi.verifyWebhook("x".getBytes(StandardCharsets.UTF_8), body, sig), "webhook wrong secret");

        String good = "787e134c4b8beadf67c01364e5ec7e15dd0e4a26c1800407a2728227ee35ea0d";
        check(B2binpay.verifyCallback("sandbox-login", "sandbox-password", "2", "0.00100000", "track-1",
            "2024-01-01T00:00:00.000000Z", good), "B2BINPAY callback valid");
        check(!B2binpay.verifyCallback("sandbox-login", "sandbox-password", "2", "0.00100001", "track-1",
            "2024-01-01T00:00:00.000000Z", good), "B2BINPAY callback tampered");
        expect(InvalidArgumentException.class, Status.CONFIG, "B2BINPAY unknown key",
            () -> new B2binpay("{\"base_url\":\"http://127.0.0.1:1\",\"login\":\"l\",\"password\":\"p\",\"x\":1}").close());

        String tok = RetailCrm.token("secret", "api-key");
        check(tok.equals("e757b68b52a38af45723dae04ea255b416e82ebc9de674cf18f3966131daaed5"), "RetailCRM token");
        check(RetailCrm.verifyToken("secret", "api-key", tok) && !RetailCrm.verifyToken("secret", "x", tok), "RetailCRM verifyToken");
        check(RetailCrm.configResponse("[\"integration_read\"]", "https://m/r").contains("\"registerUrl\":\"https://m/r\""), "configResponse");
        check(RetailCrm.registerSuccess("https://m/a").contains("\"accountUrl\":\"https://m/a\""), "registerSuccess");
        check(RetailCrm.errorResponse("bad \"x\"").contains("\"errorMsg\":\"bad \\\"x\\\"\""), "errorResponse escaping");
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "configResponse bad scopes",
            () -> RetailCrm.configResponse("nope", "https://m"));
    }

    static void otherProtocolsSandbox(String url) {
        try (B2binpay b = new B2binpay(Map.of("base_url", url + "/b2binpay", "login", "sandbox-login",
                "password", "sandbox-password"))) {
            b.login();
            b.refresh();
            B2binpay.AccessToken t = b.accessToken();
            check(!t.token.isEmpty() && !t.suspicious, "B2BINPAY access token");
            B2binpay.Counters c = b.counters();
            check(c.logins >= 1 && c.refreshes >= 1 && c.suspicious == 0, "B2BINPAY counters");
        }
        try (B2binpay b = new B2binpay(Map.of("base_url", url + "/b2binpay", "login", "sandbox-login", "password", "nope"))) {
            expect(AuthException.class, Status.AUTH_REJECTED, "B2BINPAY bad password", b::login);
        }
        RetailCrm.editModule(url + "/retailcrm", "sandbox-api-key", MODULE, null);
        check(true, "RetailCRM editModule");
        expect(B2cException.class, null, "RetailCRM editModule wrong key",
            () -> RetailCrm.editModule(url + "/retailcrm", "wrong", MODULE, null));
        String form = "register%5BsystemUrl%5D=" + java.net.URLEncoder.encode(url + "/retailcrm", StandardCharsets.UTF_8)
            + "&register%5BapiKey%5D=sandbox-api-key&register%5Btoken%5D=" + RetailCrm.token("module-secret", "sandbox-api-key");
        String answer = RetailCrm.handleRegister("module-secret", form, MODULE, null);
        check(answer.contains("\"success\":true"), "RetailCRM handleRegister: " + answer);
        answer = RetailCrm.handleRegister("other-secret", form, MODULE, null);
        check(answer.contains("\"success\":false"), "RetailCRM handleRegister bad token: " + answer);
    }

    // ------------------------------------------------------------------------------ sandbox

    static final class Sandbox implements AutoCloseable {
        final Process process;
        final String url;

        Sandbox(Path pubPem) throws Exception {
            String bin = System.getenv("B2C_SANDBOX");
            if (bin == null || bin.isEmpty()) {
                bin = root() + "/target/release/b2c-sandbox";
            }
            ProcessBuilder pb = new ProcessBuilder(bin, "--port", "0", "--register", "kid1:42:" + pubPem,
                "--pending-polls", "2", "--error-login", "999999");
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            process = pb.start();
            BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            String prefix = "b2c-sandbox listening on ";
            if (line == null || !line.startsWith(prefix)) {
                process.destroyForcibly();
                throw new IllegalStateException("sandbox said: " + line);
            }
            url = line.substring(prefix.length()).trim();
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static void sandboxFlow() throws Exception {
        Path dir = Files.createTempDirectory("b2c-java-test");
        Path pubPath = dir.resolve("pub.pem");
        String url;
        try (Key key = Key.generate()) {
            Files.write(pubPath, key.publicPem().getBytes(StandardCharsets.UTF_8));
            String pem = key.privatePem();
            try (Sandbox sb = new Sandbox(pubPath); Client c = new Client(config(sb.url, pem))) {
                url = sb.url;
                System.out.println("sandbox at " + sb.url);
                c.authenticate();
                check(true, "authenticate");
                check(verifyJwt(c.mintJwt(), publicKeyFromPem(key.publicPem())), "client JWT verifies");

                FeeResult r = c.feeProcess("123456", "j-req-1");
                check(r.status() == FeeStatus.PENDING, "one-shot PENDING: " + r);

                List<FeeProgress> seen = new ArrayList<>();
                r = c.feeProcess("123456", "j-req-1", Duration.ofSeconds(20), p -> {
                    seen.add(p);
                    System.gc(); // the callback stub must survive a GC during the call
                    return true;
                });
                check(r.status() == FeeStatus.SUCCESS && r.isSuccess(), "wait SUCCESS: " + r);
                check(seen.size() >= 2, "progress calls " + seen.size());
                boolean increasing = true;
                for (int i = 0; i < seen.size(); i++) {
                    if (seen.get(i).attempt() != i + 1) {
                        increasing = false;
                    }
                    if (i > 0 && seen.get(i).elapsed().compareTo(seen.get(i - 1).elapsed()) < 0) {
                        increasing = false;
                    }
                }
                check(increasing, "attempts 1,2,.. and elapsed non-decreasing: " + seen);
                check(!seen.isEmpty() && seen.get(seen.size() - 1).status() == FeeStatus.SUCCESS, "last progress SUCCESS");

                FeeException fe = expect(FeeException.class, Status.FEE_ERROR, "error login",
                    () -> c.feeProcess("999999", "j-req-3", Duration.ofSeconds(20), null));
                if (fe != null) {
                    check(fe.feeStatus() == FeeStatus.ERROR, "FeeException.feeStatus ERROR");
                    check(fe.getMessage().contains("insufficient funds"), "message has details: " + fe.getMessage());
                }

                AtomicInteger calls = new AtomicInteger();
                expect(CancelledException.class, Status.CANCELLED, "cancel",
                    () -> c.feeProcess("123456", "j-req-2", Duration.ofSeconds(20), p -> {
                        calls.incrementAndGet();
                        return false;
                    }));
                check(calls.get() == 1, "cancelled after one progress call: " + calls.get());

                IllegalStateException boom = expect(IllegalStateException.class, null, "listener exception propagates",
                    () -> c.feeProcess("123456", "j-req-5", Duration.ofSeconds(20), p -> {
                        throw new IllegalStateException("boom");
                    }));
                check(boom != null && "boom".equals(boom.getMessage()), "the listener's own exception");

                Map<String, Object> slowCfg = config(sb.url, pem);
                slowCfg.put("poll_interval_ms", 5000);
                try (Client slow = new Client(slowCfg)) {
                    StillPendingException sp = expect(StillPendingException.class, Status.STILL_PENDING, "still pending",
                        () -> slow.feeProcess("123456", "j-req-4", Duration.ofSeconds(1), null));
                    check(sp != null && sp.feeStatus() == FeeStatus.PENDING, "StillPending feeStatus PENDING");
                }

                ProtocolException pe = expect(ProtocolException.class, Status.HTTP_STATUS, "request id reused",
                    () -> c.feeProcess("654321", "j-req-1"));
                check(pe != null && pe.httpStatus() == 409, "HTTP 409: " + (pe == null ? "" : pe.httpStatus()));

                expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "empty login",
                    () -> c.feeProcess("", "j-req-6"));

                // 4 threads share one client
                ExecutorService pool = Executors.newFixedThreadPool(4);
                List<Future<Integer>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    final int ti = t;
                    fs.add(pool.submit(() -> {
                        int ok = 0;
                        for (int i = 0; i < 3; i++) {
                            AtomicInteger n = new AtomicInteger();
                            FeeResult fr = c.feeProcess("123456", "j-thread-" + ti + "-" + i, Duration.ofSeconds(20),
                                p -> n.incrementAndGet() > 0);
                            if (fr.isSuccess() && n.get() >= 1) {
                                ok++;
                            }
                        }
                        return ok;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : fs) {
                    try {
                        total += f.get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        check(false, "thread failed: " + e);
                    }
                }
                pool.shutdown();
                check(total == 12, "threads: " + total + " of 12 succeeded");

                otherProtocolsSandbox(sb.url);

                // unregistered key
                try (Key other = Key.generate(); Client bad = new Client(config(sb.url, other.privatePem()))) {
                    AuthException ae = expect(AuthException.class, Status.AUTH_REJECTED, "unregistered key", bad::authenticate);
                    check(ae != null && ae.httpStatus() == 401, "HTTP 401");
                }
            }
            // sandbox gone
            Map<String, Object> down = config(url, pem);
            down.put("call_deadline_ms", 1500);
            down.put("connect_timeout_ms", 500);
            try (Client c = new Client(down)) {
                expect(NetworkException.class, null, "sandbox gone", c::authenticate);
            }
            Client closed = new Client(config(url, pem));
            closed.close();
            expect(IllegalStateException.class, null, "client use after close", closed::authenticate);
        } finally {
            Files.deleteIfExists(pubPath);
            Files.deleteIfExists(dir);
        }
    }
}
