package com.b2c.test;

import static com.b2c.test.Support.MODULE;
import static com.b2c.test.Support.config;
import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.AuthException;
import com.b2c.B2binpay;
import com.b2c.B2c;
import com.b2c.B2cLibrary;
import com.b2c.Client;
import com.b2c.Crm;
import com.b2c.InvalidArgumentException;
import com.b2c.Json;
import com.b2c.Registration;
import com.b2c.Response;
import com.b2c.RetailCrm;
import com.b2c.Stats;
import com.b2c.Status;
import com.sun.jna.Native;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The generic calls (B2COPY {@link Client#call}, {@link Client#accessToken}, B2BINPAY
 * {@link B2binpay#call}), the CRM Open API handle {@link Crm} and RetailCRM
 * {@link RetailCrm#registerAccount}, against a b2c-sandbox of this class's own (its counters
 * are then this class's alone). The sandbox's default (lenient) profile echoes any other path
 * under /api/ (B2COPY) and /b2binpay/ with a valid access token: {"method", "path", "query",
 * "body"}; its CRM emulator verifies the signature and echoes too ("signed": "raw" when the
 * signature is over the bytes sent).
 */
@ExtendWith(LogScanExtension.class)
class CallsTest {
    static Sandbox sb;

    @BeforeAll
    static void start() throws Exception {
        sb = Sandbox.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (sb != null) {
            sb.close();
        }
    }

    static Client client() {
        return new Client(config(sb.url, sb.privatePem));
    }

    static Crm crm(Map<String, Object> extra) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("base_url", sb.url + "/crm");
        cfg.put("api_key", "sandbox-api-key");
        cfg.putAll(extra);
        return new Crm(cfg);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> echo(Response r, String what) {
        assertEquals(200, r.status(), what + ": " + r.bodyText());
        Object v = r.json();
        assertTrue(v instanceof Map, what + ": not an object: " + r.bodyText());
        return (Map<String, Object>) v;
    }

    static long delta(Map<String, Long> before, Map<String, Long> after, String counter) {
        assertTrue(after.containsKey(counter), "the sandbox has no counter " + counter + ": " + after);
        return after.get(counter) - before.getOrDefault(counter, 0L);
    }

    // ---- B2COPY

    @Test
    void b2copyGetIsEchoedWithMethodPathAndQuery() throws Exception {
        try (Client c = client()) {
            Map<String, Long> before = sb.stats("b2copy");
            Response r = c.call("GET", "/api/admin/whatever?x=1");
            Map<String, Object> e = echo(r, "GET echo");
            assertEquals("GET", e.get("method"), "echo: " + e);
            assertEquals("/api/admin/whatever", e.get("path"), "echo: " + e);
            assertEquals("x=1", e.get("query"), "echo: " + e);
            assertNull(e.get("body"), "no body: " + e);
            Map<String, Long> after = sb.stats("b2copy");
            assertEquals(1, delta(before, after, "other_calls"), "one generic call reached the sandbox");
            assertEquals(1, delta(before, after, "auth_ok"), "the first call authenticated");
            // The same through the 3-argument form with a null body.
            assertEquals(200, c.call("GET", "/api/admin/whatever?x=2", null).status());
        }
    }

    @Test
    void b2copyPostBodyIsEchoed() {
        try (Client c = client()) {
            Response r = c.call("POST", "/api/admin/things", utf8("{\"a\": [1, 2], \"s\": \"J\\u00fcrgen \u00e9\"}"));
            Map<String, Object> e = echo(r, "POST echo");
            assertEquals("POST", e.get("method"));
            assertEquals(Json.parse("{\"a\":[1,2],\"s\":\"J\u00fcrgen \u00e9\"}"), e.get("body"), "echoed body: " + e);
        }
    }

    @Test
    void b2copyCallAfterExpiryRefreshesOnce() throws Exception {
        try (Client c = client()) {
            assertEquals(200, c.call("GET", "/api/admin/before").status(), "first call");
            sb.control("b2copy/expire-access", null);
            Map<String, Long> before = sb.stats("b2copy");
            Response r = c.call("POST", "/api/admin/after", utf8("{\"k\": 1}"));
            Map<String, Object> e = echo(r, "call after expire-access");
            assertEquals(Json.parse("{\"k\":1}"), e.get("body"));
            Map<String, Long> after = sb.stats("b2copy");
            assertEquals(1, delta(before, after, "refresh_ok"), "one refresh: " + after);
            assertEquals(0, delta(before, after, "auth_ok"), "no new authentication");
            Stats s = c.stats();
            assertEquals(1, s.unauthorized(), "one 401: " + s);
            assertEquals(1, s.refreshes(), "one refresh: " + s);
        }
    }

    @Test
    void b2copy404IsAResponseNotAnException() {
        try (Client c = client()) {
            Response r = c.call("DELETE", "/nowhere");
            assertEquals(404, r.status(), "404 as a result: " + r.bodyText());
            assertNotNull(r.body());
        }
    }

    @Test
    void b2copyBadMethodsAndPathsAreRefusedBeforeSending() throws Exception {
        try (Client c = client()) {
            Map<String, Long> before = sb.stats("b2copy");
            String[] paths = {"api/x", "//evil.example/x", "/a b", "/a/../b", "/a/./b", "/x#y", "/\u00fc", "", "/api/x\u0000/y"};
            for (String p : paths) {
                expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "path " + p.replace("\u0000", "\\0"),
                    () -> c.call("GET", p));
            }
            for (String m : new String[] {"FOO", "CONNECT", "", "GET ", "GET\u0000"}) {
                expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "method '" + m + "'",
                    () -> c.call(m, "/api/x"));
            }
            expect(NullPointerException.class, null, "null method", () -> c.call(null, "/api/x"));
            expect(NullPointerException.class, null, "null path", () -> c.call("GET", null));
            Map<String, Long> after = sb.stats("b2copy");
            assertEquals(0, delta(before, after, "other_calls"), "nothing reached the sandbox: " + after);
            assertEquals(0, c.stats().requests(), "no HTTP request at all");
        }
    }

    @Test
    void b2copyIdempotentOverridesThePostDefault() throws Exception {
        String path = "/api/admin/idem";
        try (Client c = client()) {
            c.authenticate();
            // POST is not idempotent by default: a 503 is the final answer (a response).
            sb.control("faults", "{\"path\": \"" + path + "\", \"fault\": \"503\", \"times\": 1}");
            Response r = c.call("POST", path, utf8("{}"));
            assertEquals(503, r.status(), "POST not retried: " + r.bodyText());
            assertEquals(0, c.stats().retries(), "no retry");
            // idempotent = true: retried after the 503.
            sb.control("faults", "{\"path\": \"" + path + "\", \"fault\": \"503\", \"times\": 1}");
            r = c.call("POST", path, utf8("{}"), true);
            assertEquals(200, r.status(), "idempotent POST retried: " + r.bodyText());
            Stats s = c.stats();
            assertEquals(1, s.retries(), "one retry: " + s);
            assertEquals(Long.valueOf(1), s.retriesByCause().get("status_5xx"), "status_5xx: " + s);
            // idempotent = false on a GET: the 503 is the answer.
            sb.control("faults", "{\"path\": \"" + path + "\", \"fault\": \"503\", \"times\": 1}");
            r = c.call("GET", path, null, false);
            assertEquals(503, r.status(), "GET marked not idempotent is not retried");
            assertEquals(1, c.stats().retries(), "still one retry");
        } finally {
            sb.control("faults/clear", null);
        }
    }

    @Test
    void accessTokenWorksWithAnotherHttpStack() throws Exception {
        try (Client c = client()) {
            String token = c.accessToken();
            assertFalse(token.isEmpty(), "a token");
            assertEquals(token, c.accessToken(), "the same token while it is valid");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(sb.url + "/api/admin/own-stack"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), "the sandbox accepts the token");
            assertTrue(ok.body().contains("/api/admin/own-stack"), "echo");
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(sb.url + "/api/admin/own-stack"))
                .header("Authorization", "Bearer x" + token).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(401, bad.statusCode(), "another token is refused");
        }
    }

    @Test
    void callOnAClosedClientThrows() {
        Client c = client();
        c.close();
        expect(IllegalStateException.class, null, "closed", () -> c.call("GET", "/api/x"));
        expect(IllegalStateException.class, null, "closed", c::accessToken);
    }

    // ---- B2BINPAY

    @Test
    void b2binpayCallIsEchoed() throws Exception {
        try (B2binpay b = new B2binpay(Map.of("base_url", sb.url + "/b2binpay", "login", "sandbox-login",
                "password", "sandbox-password"))) {
            Map<String, Long> before = sb.stats("b2binpay");
            Map<String, Object> e = echo(b.call("GET", "/api/v3/wallet/?page=1"), "B2BINPAY GET");
            assertEquals("GET", e.get("method"));
            assertEquals("/b2binpay/api/v3/wallet/", e.get("path"), "echo: " + e);
            assertEquals("page=1", e.get("query"), "echo: " + e);
            e = echo(b.call("POST", "/api/v3/payout/", utf8("{\"data\": {\"type\": \"payout\"}}"), true), "B2BINPAY POST");
            assertEquals(Json.parse("{\"data\":{\"type\":\"payout\"}}"), e.get("body"), "echo: " + e);
            Map<String, Long> after = sb.stats("b2binpay");
            assertEquals(2, delta(before, after, "other_calls"), "two generic calls");
            assertEquals(1, delta(before, after, "token_ok"), "one login");
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "B2BINPAY bad path",
                () -> b.call("GET", "/api/../x"));
        }
    }

    // ---- CRM Open API handle

    @Test
    void crmSendsAndSignsTheNormalForm() throws Exception {
        try (Crm crm = crm(Map.of())) {
            Map<String, Long> before = sb.stats("crm");
            String pretty = "{ \"client\" : \"J\\u00fcrgen\",\n  \"amount\": 1.50 }";
            Map<String, Object> e = echo(crm.call("POST", "/api/clients", utf8(pretty)), "CRM normal form");
            assertEquals("raw", e.get("signed"), "signed over the bytes sent: " + e);
            Map<String, Object> want = new LinkedHashMap<>();
            want.put("client", "J\u00fcrgen");
            want.put("amount", new BigDecimal("1.5"));
            assertEquals(want, e.get("body"), "echo: " + e);
            Map<String, Long> after = sb.stats("crm");
            assertEquals(1, delta(before, after, "ok"), "accepted: " + after);
            assertEquals(0, delta(before, after, "invalid_signature"), "no signature refused: " + after);
        }
    }

    @Test
    void crmBigIntegerNeedsRawMode() throws Exception {
        byte[] big = utf8("{\"amount\": 12345678901234567890}");
        try (Crm crm = crm(Map.of())) {
            Map<String, Long> before = sb.stats("crm");
            InvalidArgumentException e = expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                "a big integer in the normal form", () -> crm.call("POST", "/api/clients", big));
            assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains("raw"), "the message names raw mode: " + e.getMessage());
            assertEquals(0, delta(before, sb.stats("crm"), "requests"), "nothing sent");
            Response r = crm.call("POST", "/api/clients", big, null, true);
            Map<String, Object> echo = echo(r, "raw mode");
            assertEquals("raw", echo.get("signed"));
            assertTrue(r.bodyText().contains("12345678901234567890"), "the integer untouched: " + r.bodyText());
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "normal form forced",
                () -> crm.call("POST", "/api/clients", big, null, false));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "not JSON",
                () -> crm.call("POST", "/api/clients", utf8("name=x")));
        }
        try (Crm raw = crm(Map.of("raw_body", true))) {
            assertEquals(200, raw.call("POST", "/api/clients", big).status(), "raw_body in the configuration");
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "normal form for one call",
                () -> raw.call("POST", "/api/clients", big, null, false));
        }
    }

    @Test
    void crmGetWithABodyIsRefused() {
        try (Crm crm = crm(Map.of())) {
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "GET with a body",
                () -> crm.call("GET", "/api/x", utf8("{}")));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "DELETE with a body",
                () -> crm.call("DELETE", "/api/x", utf8("{}")));
            Map<String, Object> e = echo(crm.call("GET", "/api/clients?limit=20"), "GET without a body");
            assertEquals("limit=20", e.get("query"));
            assertEquals(200, crm.call("GET", "/api/clients", new byte[0]).status(), "an empty body is no body");
        }
    }

    @Test
    void crmWrongApiKeyIsAuth() throws Exception {
        Map<String, Long> before = sb.stats("crm");
        try (Crm crm = new Crm("{\"base_url\": \"" + sb.url + "/crm\", \"api_key\": \"not-registered\"}")) {
            expect(AuthException.class, Status.AUTH_REJECTED, "invalid_api_key", () -> crm.call("GET", "/api/x"));
            expect(AuthException.class, Status.AUTH_REJECTED, "invalid_api_key on POST",
                () -> crm.call("POST", "/api/x", utf8("{}")));
        }
        assertEquals(2, delta(before, sb.stats("crm"), "invalid_api_key"));
    }

    @Test
    void crmConfigErrors() {
        expect(InvalidArgumentException.class, Status.CONFIG, "no api_key", () -> new Crm(Map.of("base_url", "https://x.example")));
        expect(InvalidArgumentException.class, Status.CONFIG, "unknown key",
            () -> new Crm(Map.of("base_url", "https://x.example", "api_key", "k", "no_such_key", 1)));
        expect(InvalidArgumentException.class, null, "http base_url",
            () -> new Crm(Map.of("base_url", "http://crm.example.com", "api_key", "k")));
        expect(NullPointerException.class, null, "null", () -> new Crm((String) null));
    }

    @Test
    void crmStatsCountTheCalls() throws Exception {
        try (Crm crm = crm(Map.of())) {
            Map<String, Long> before = sb.stats("crm");
            crm.call("GET", "/api/a");
            crm.call("POST", "/api/b", utf8("{\"x\": 1}"));
            crm.call("PUT", "/api/c", utf8("[1, 2]"), true);
            expect(InvalidArgumentException.class, null, "refused, not sent", () -> crm.call("FOO", "/api/d"));
            Stats s = crm.stats();
            assertEquals(3, s.requests(), "stats: " + s);
            assertEquals(3, s.latency("call").count(), "latency of endpoint call: " + s.json());
            assertEquals(3, delta(before, sb.stats("crm"), "requests"), "the sandbox saw as many");
            assertEquals(0, s.authExchanges());
        }
    }

    @Test
    void crmLoggerTakesTheHandlesEvents() {
        Logger own = LogCapture.ownLogger("crm");
        try (Crm crm = crm(Map.of());
             LogCapture.Collector mine = LogCapture.Collector.on(own);
             LogCapture.Collector global = LogCapture.Collector.on(LogCapture.B2C)) {
            B2c.setLogLevel(Level.FINE);
            crm.setLogger(own, Level.FINE);
            crm.call("GET", "/api/logged");
            assertTrue(mine.count("request", null) >= 1, "the handle's logger got the request:" + mine.dump());
            assertEquals(0, global.count("request", null), "not the process-wide one:" + global.dump());
            crm.setLogger(null, null);
            mine.clear();
            crm.call("GET", "/api/logged");
            assertEquals(0, mine.size(), "removed:" + mine.dump());
            assertTrue(global.count("request", null) >= 1, "the process-wide routing again:" + global.dump());
            for (java.util.logging.LogRecord r : global.records()) {
                assertFalse(String.valueOf(r.getMessage()).contains("sandbox-api-key"), "no API key in " + LogCapture.line(r));
            }
            crm.setLogger(own, Level.OFF);
            mine.clear();
            crm.call("GET", "/api/logged");
            assertEquals(0, mine.count("request", null), "OFF: no request event:" + mine.dump());
            expect(NullPointerException.class, null, "a logger needs a level", () -> crm.setLogger(own, null));
        } finally {
            B2c.setLogLevel(LogCapture.suiteLevel());
        }
    }

    @Test
    void crmCloseIsIdempotentAndLaterCallsThrow() {
        Crm crm = crm(Map.of());
        assertFalse(crm.isClosed());
        crm.close();
        crm.close();
        assertTrue(crm.isClosed());
        expect(IllegalStateException.class, null, "closed", () -> crm.call("GET", "/api/x"));
        expect(IllegalStateException.class, null, "closed", crm::stats);
        expect(IllegalStateException.class, null, "closed", () -> crm.setLogger(null, null));
    }

    @Test
    void crmUnreachableHandlesAreFreed() throws Exception {
        // Handles never closed, with a logger each: the Cleaner frees them (and drops the
        // loggers' callbacks) once unreachable; the process goes on working.
        Logger own = LogCapture.ownLogger("crm-gc");
        for (int i = 0; i < 50; i++) {
            Crm c = crm(Map.of());
            c.setLogger(own, Level.FINE);
        }
        TokenStoreTest.gc();
        try (Crm crm = crm(Map.of())) {
            assertEquals(200, crm.call("GET", "/api/after-gc").status());
        }
    }

    // ---- RetailCRM accounts

    static String registerForm(String apiKey, String token) {
        return "register%5BsystemUrl%5D=" + URLEncoder.encode(sb.url + "/retailcrm", StandardCharsets.UTF_8)
            + "&register%5BapiKey%5D=" + URLEncoder.encode(apiKey, StandardCharsets.UTF_8)
            + "&register%5Btoken%5D=" + token;
    }

    @Test
    void retailCrmRegistersTwoAccounts() throws Exception {
        String secret = "mod-secret";
        String form = registerForm("sandbox-api-key", RetailCrm.token(secret, "sandbox-api-key"));
        Map<String, Long> before = sb.stats("retailcrm");
        for (int i = 1; i <= 2; i++) {
            String account = Json.encode(Map.of("clientId", "acct-" + i, "accountUrl", "https://m.example.com/acct/" + i));
            Registration r = RetailCrm.registerAccount(secret, form, MODULE, account);
            assertTrue(r.registered(), "account " + i + ": " + r);
            assertEquals("sandbox-api-key", r.apiKey(), "the account's API key");
            assertEquals(sb.url + "/retailcrm", r.systemUrl());
            assertNull(r.error(), "no error: " + r);
            assertNull(r.fieldErrors(), "no field errors: " + r);
            Object answer = Json.parse(r.answer());
            assertEquals(Map.of("success", true, "accountUrl", "https://m.example.com/acct/" + i), answer,
                "the answer with the account's accountUrl");
            assertFalse(r.toString().contains("sandbox-api-key"), "toString hides the API key: " + r);
        }
        Map<String, Long> after = sb.stats("retailcrm");
        assertEquals(2, delta(before, after, "edit_calls"));
        assertEquals(2, delta(before, after, "edit_ok"));
        // byte[] form and an explicit HTTP configuration
        Registration r = RetailCrm.registerAccount(secret, form.getBytes(StandardCharsets.UTF_8), MODULE, null,
            "{\"deadline_ms\": 10000}");
        assertTrue(r.registered(), "module fields alone: " + r);
    }

    @Test
    void retailCrmWrongTokenIsNotRegistered() throws Exception {
        String form = registerForm("sandbox-api-key", "0".repeat(64));
        Map<String, Long> before = sb.stats("retailcrm");
        Registration r = RetailCrm.registerAccount("mod-secret", form, MODULE, "{\"clientId\": \"acct-x\"}");
        assertFalse(r.registered(), "wrong token: " + r);
        assertNull(r.apiKey(), "no API key when not registered");
        assertNotNull(r.error(), "a reason");
        assertEquals(sb.url + "/retailcrm", r.systemUrl(), "the form parsed");
        assertEquals(Boolean.FALSE, ((Map<?, ?>) Json.parse(r.answer())).get("success"), r.answer());
        assertEquals(0, delta(before, sb.stats("retailcrm"), "edit_calls"), "no outgoing call");
    }

    @Test
    void retailCrmFieldErrorsReachTheCaller() throws Exception {
        String secret = "mod-secret";
        String form = registerForm("sandbox-api-key", RetailCrm.token(secret, "sandbox-api-key"));
        sb.control("retailcrm/field-errors",
            "{\"errors\": {\"integrationModule[clientId]\": \"clientId is taken\"}, \"times\": 1}");
        Registration r = RetailCrm.registerAccount(secret, form, MODULE, "{\"clientId\": \"acct-taken\"}");
        assertFalse(r.registered(), "refused: " + r);
        assertNull(r.apiKey());
        assertEquals(Map.of("integrationModule[clientId]", "clientId is taken"), r.fieldErrors(), "field errors: " + r);
        assertNotNull(r.error());
        expect(UnsupportedOperationException.class, null, "unmodifiable", () -> r.fieldErrors().clear());
        // times: 1 -> the next registration goes through.
        assertTrue(RetailCrm.registerAccount(secret, form, MODULE, "{\"clientId\": \"acct-taken\"}").registered());
    }

    @Test
    void retailCrmInvalidAccountJson() {
        String form = registerForm("sandbox-api-key", RetailCrm.token("mod-secret", "sandbox-api-key"));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "account not an object",
            () -> RetailCrm.registerAccount("mod-secret", form, MODULE, "[1]"));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "module not JSON",
            () -> RetailCrm.registerAccount("mod-secret", form, "{", null));
        expect(NullPointerException.class, null, "null module",
            () -> RetailCrm.registerAccount("mod-secret", form, null, null));
    }

    // ---- value types

    @Test
    void responseValueType() {
        byte[] b = utf8("{\"a\": [1, 2.5, \"\u00e9\"]}");
        Response r = new Response(201, b);
        b[0] = 'x';
        assertEquals(201, r.status());
        assertEquals("{\"a\": [1, 2.5, \"\u00e9\"]}", r.bodyText(), "the body was copied");
        byte[] got = r.body();
        got[0] = 'y';
        assertEquals('{', r.body()[0], "body() returns a copy");
        assertEquals(Map.of("a", List.of(1L, new BigDecimal("2.5"), "\u00e9")), r.json());
        assertEquals(new Response(201, utf8("{\"a\": [1, 2.5, \"\u00e9\"]}")), r);
        assertNotEquals(new Response(200, r.body()), r);
        assertFalse(r.toString().contains("\u00e9"), "toString shows no body: " + r);
        assertArrayEquals(new byte[0], new Response(204, new byte[0]).body());
        expect(IllegalArgumentException.class, null, "not JSON", () -> new Response(200, utf8("<html>")).json());
    }

    @Test
    void registrationValueType() {
        Registration r = new Registration(true, "{}", "https://s.example", "secret-key", null, null);
        assertTrue(r.registered());
        assertEquals("secret-key", r.apiKey());
        assertFalse(r.toString().contains("secret-key"), r.toString());
        assertEquals(new Registration(true, "{}", "https://s.example", "secret-key", null, null), r);
    }

    @Test
    void callOptionsLayout() {
        B2cLibrary.CallOptions o = new B2cLibrary.CallOptions(1, 2);
        assertEquals(Native.SIZE_T_SIZE + 8, o.size(), "sizeof(b2c_call_options)");
        assertEquals(o.size(), o.struct_size.longValue(), "struct_size");
        assertEquals(1, o.idempotent);
        assertEquals(2, o.raw_body);
    }
}
