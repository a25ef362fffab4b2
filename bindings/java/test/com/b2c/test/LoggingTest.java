package com.b2c.test;

import static com.b2c.test.Support.config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.b2c.AuthException;
import com.b2c.B2binpay;
import com.b2c.B2c;
import com.b2c.Client;
import com.b2c.FeeResult;
import com.b2c.FeeStatus;
import com.b2c.Key;
import com.b2c.Latency;
import com.b2c.Stats;

import com.sun.jna.Callback;
import com.sun.jna.Native;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Logs and statistics (docs: bindings/java/README.md, "Logs and statistics"): the library's
 * events through {@code Logger.getLogger("b2c")} and through a handle's own logger, the levels,
 * callback safety, and {@code stats()} against the sandbox's own counters.
 *
 * <p>Each test collects from the "b2c" logger with a handler of its own and puts the suite's
 * level back afterwards ({@link LogCapture#suiteLevel()}).
 */
@ExtendWith({SandboxExtension.class, LogScanExtension.class})
class LoggingTest {
    static Sandbox sb;

    static final String PROCESSEXT = "/api/admin/fees/v2/fee/feeservice/processext";
    static final String FAULT_503 = "{\"path\": \"" + PROCESSEXT + "\", \"fault\": \"503\", \"times\": 1}";
    static final String[] SECRETS = {"sandbox-password", "sbx_", "b2b-", "eyJ", "PRIVATE KEY"};

    LogCapture.Collector global;

    @BeforeAll
    static void start(Sandbox sandbox) {
        sb = sandbox;
    }

    @BeforeEach
    void collect() {
        global = LogCapture.Collector.on(LogCapture.B2C);
    }

    @AfterEach
    void restore() {
        global.close();
        B2c.setLogLevel(LogCapture.suiteLevel());
    }

    static Client client() {
        return new Client(config(sb.url, sb.privatePem));
    }

    static B2binpay b2binpay() {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("base_url", sb.url + "/b2binpay");
        cfg.put("login", "sandbox-login");
        cfg.put("password", "sandbox-password");
        return new B2binpay(cfg);
    }

    static void fee(Client c, String requestId) {
        FeeResult r = c.feeProcess("123456", requestId);
        assertTrue(r.status() == FeeStatus.PENDING || r.status() == FeeStatus.SUCCESS, requestId + ": " + r);
    }

    /** Exactly one record of {@code event} whose message has {@code needle}, at {@code level}. */
    static LogRecord one(LogCapture.Collector c, String event, String needle, Level level, String what) {
        List<LogRecord> rs = c.events(event, needle);
        assertEquals(1, rs.size(), what + ": one '" + event + "'" + (needle == null ? "" : " with '" + needle + "'")
            + "; records:" + c.dump());
        assertEquals(level, rs.get(0).getLevel(), what + ": level of " + LogCapture.line(rs.get(0)));
        return rs.get(0);
    }

    /** The shape every routed record has. */
    static void assertShape(LogRecord r, String loggerName) {
        Object[] p = r.getParameters();
        assertNotNull(p, "parameters of " + LogCapture.line(r));
        assertEquals(2, p.length, "parameters {target, event}");
        assertEquals("b2c." + p[0], r.getSourceClassName(), "sourceClassName b2c.<target>");
        assertEquals(p[1], r.getSourceMethodName(), "sourceMethodName = event");
        assertEquals(loggerName, r.getLoggerName(), "logger name of " + LogCapture.line(r));
        assertTrue(List.of("b2copy", "b2binpay", "retailcrm", "http", "dns").contains((String) p[0]),
            "known target: " + LogCapture.line(r));
    }

    static void assertNoSecret(List<LogRecord> records) {
        for (LogRecord r : records) {
            String line = LogCapture.line(r);
            for (String s : SECRETS) {
                assertFalse(line.contains(s), "a secret (" + s + ") in a record: " + line);
            }
        }
    }

    static void assertNoSecret(String text, String what) {
        for (String s : SECRETS) {
            assertFalse(text.contains(s), "a secret (" + s + ") in " + what + ": " + text);
        }
    }

    static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
        assertTrue(after.containsKey(key), "sandbox counter " + key + " in " + after);
        return after.get(key) - before.getOrDefault(key, 0L);
    }

    // ---- B2COPY through the process-wide logger, and stats against the sandbox

    /**
     * A forced refresh (b2copy/expire-access) and a retried 503 (faults), at INFO: auth,
     * unauthorized, refresh (reason: the 401), retry (cause status_5xx), each once, at INFO;
     * no debug event. Then the client's statistics against the sandbox's counters.
     */
    @Test
    void b2copyFlowThroughTheProcessWideLoggerAndStats() throws Exception {
        B2c.setLogLevel(Level.INFO);
        assertEquals(Level.INFO, LogCapture.B2C.getLevel(), "setLogLevel sets the logger's level");
        Map<String, Long> b0 = sb.stats("b2copy");
        try (Client c = client()) {
            fee(c, "j-log-1");
            one(global, "auth", "no tokens held", Level.INFO, "first fee call");

            sb.control("b2copy/expire-access", null);
            fee(c, "j-log-2");
            one(global, "unauthorized", "401", Level.INFO, "after expire-access");
            one(global, "refresh", "401", Level.INFO, "after expire-access: the refresh names the 401");
            assertEquals(1, global.count("auth", null), "no second authentication:" + global.dump());

            sb.control("faults", FAULT_503);
            fee(c, "j-log-3");
            one(global, "retry", "status_5xx", Level.INFO, "a 503, retried");

            assertEquals(0, global.count("request", null), "no debug event at INFO:" + global.dump());
            for (LogRecord r : global.records()) {
                assertTrue(r.getLevel().intValue() >= Level.INFO.intValue(), "below INFO: " + LogCapture.line(r));
                assertShape(r, "b2c");
            }
            assertEquals(1, global.count("unauthorized", null), "one 401 in all:" + global.dump());
            assertEquals(1, global.count("refresh", null), "one refresh in all:" + global.dump());
            assertEquals(1, global.count("retry", null), "one retry in all:" + global.dump());
            assertNoSecret(global.records());

            Map<String, Long> b1 = sb.stats("b2copy");
            Stats s = c.stats();
            long faults = delta(b0, b1, "faults_injected");
            assertEquals(1, faults, "one fault injected");
            assertEquals(delta(b0, b1, "auth_ok"), s.authExchanges(), "authExchanges == auth_ok: " + s);
            assertEquals(delta(b0, b1, "refresh_ok"), s.refreshes(), "refreshes == refresh_ok: " + s);
            assertEquals(1, s.authExchanges(), "one authentication: " + s);
            assertEquals(1, s.refreshes(), "one refresh: " + s);
            assertEquals(1, s.unauthorized(), "one 401: " + s);
            assertEquals(1L, s.retriesByCause().get("status_5xx"), "one retry for a 5xx: " + s);
            assertEquals(1, s.retries(), "one retry in all: " + s);
            Latency px = s.latency("processext");
            assertEquals(delta(b0, b1, "process_calls") + faults, px.count(),
                "processext count == process_calls + faults_injected: " + s);
            assertEquals(delta(b0, b1, "auth_ok") + delta(b0, b1, "refresh_ok") + delta(b0, b1, "process_calls") + faults,
                s.requests(), "requests = every exchange the sandbox answered: " + s);
            assertTrue(px.p50Us() > 0 && px.p90Us() >= px.p50Us() && px.p99Us() >= px.p90Us()
                && px.maxUs() >= px.p99Us(), "processext percentiles: " + px);
            assertEquals(1, s.latency("authexternalcrm").count(), "authexternalcrm latency: " + s);
            assertEquals(1, s.latency("refreshtoken").count(), "refreshtoken latency: " + s);
            assertSame(s.latency("processext"), s.latency().get("processext"), "latency map");
            assertEquals(0, s.suspicious(), "no suspicious event on B2COPY: " + s);
            assertTrue(s.json().startsWith("{") && s.json().contains("\"retries_by_cause\""), "raw JSON: " + s.json());
            assertNoSecret(s.json(), "the statistics");
        }
    }

    /** The client's own logger takes its events instead of the process-wide one; removing it
     * gives them back. */
    @Test
    void perHandleLoggerTakesTheEventsInstead() throws Exception {
        B2c.setLogLevel(Level.FINE);
        Logger ownLogger = LogCapture.ownLogger("client-own");
        try (LogCapture.Collector own = LogCapture.Collector.on(ownLogger); Client c = client(); Client other = client()) {
            c.setLogger(ownLogger, Level.FINE);
            fee(c, "j-own-1");
            one(own, "auth", "no tokens held", Level.INFO, "own logger");
            List<LogRecord> reqs = own.events("request", "processext");
            assertEquals(1, reqs.size(), "one processext exchange at FINE:" + own.dump());
            assertEquals(Level.FINE, reqs.get(0).getLevel(), "request is FINE");
            for (LogRecord r : own.records()) {
                assertShape(r, ownLogger.getName());
            }
            assertEquals(0, global.size(), "the process-wide logger saw none of it:" + global.dump());

            // Another client still goes to the process-wide logger.
            int ownBefore = own.size();
            fee(other, "j-own-2");
            assertEquals(1, global.count("auth", null), "the other client's auth, process-wide:" + global.dump());
            assertEquals(1, global.count("request", "processext"), "the other client's exchange:" + global.dump());
            assertEquals(ownBefore, own.size(), "nothing of the other client in the own logger:" + own.dump());

            // The level is the handle's own: at INFO no request event.
            c.setLogger(ownLogger, Level.INFO);
            own.clear();
            fee(c, "j-own-3");
            assertEquals(0, own.count("request", null), "own logger at INFO: no request:" + own.dump());

            // Removed: the process-wide routing applies again.
            c.setLogger(null, null);
            own.clear();
            global.clear();
            fee(c, "j-own-4");
            assertEquals(0, own.size(), "removed: the own logger gets nothing:" + own.dump());
            assertEquals(1, global.count("request", "processext"), "removed: process-wide again:" + global.dump());

            // Level.OFF: the handle is silent (not handed to the process-wide logger either).
            c.setLogger(ownLogger, Level.OFF);
            own.clear();
            global.clear();
            fee(c, "j-own-5");
            assertEquals(0, own.size(), "OFF: nothing:" + own.dump());
            assertEquals(0, global.size(), "OFF: nothing process-wide:" + global.dump());
            assertNoSecret(own.records());
        }
    }

    /** Level mapping: OFF silences, FINE adds the exchanges, null goes back to WARNING. */
    @Test
    void processWideLevels() throws Exception {
        B2c.setLogLevel(Level.OFF);
        try (Client c = client()) {
            fee(c, "j-lvl-1");
            assertEquals(0, global.size(), "OFF: nothing:" + global.dump());
        }
        B2c.setLogLevel(Level.FINE);
        try (Client c = client()) {
            fee(c, "j-lvl-2");
            assertEquals(1, global.count("auth", null), "FINE: the auth:" + global.dump());
            List<LogRecord> reqs = global.events("request", null);
            assertEquals(2, reqs.size(), "FINE: the authexternalcrm and processext exchanges:" + global.dump());
            for (LogRecord r : reqs) {
                assertEquals(Level.FINE, r.getLevel(), "request at FINE");
                assertEquals("b2c.http", r.getSourceClassName(), "request target http");
            }
            for (LogRecord r : global.records()) {
                assertTrue(r.getLevel().intValue() >= Level.FINE.intValue(), "nothing below FINE: " + LogCapture.line(r));
            }
        }
        global.clear();
        B2c.setLogLevel(Level.CONFIG); // between INFO and FINE: INFO events, no FINE ones
        try (Client c = client()) {
            fee(c, "j-lvl-3");
            assertEquals(1, global.count("auth", null), "CONFIG: the auth:" + global.dump());
            assertEquals(0, global.count("request", null), "CONFIG: no request:" + global.dump());
        }
        global.clear();
        B2c.setLogLevel(null);
        assertNull(LogCapture.B2C.getLevel(), "null clears the logger's level");
        try (Client c = client()) {
            fee(c, "j-lvl-4");
            assertEquals(0, global.size(), "default WARNING: no INFO event:" + global.dump());
        }
        global.clear();
        B2c.setLogLevel(Level.WARNING);
        try (Key other = Key.generate(); Client bad = new Client(config(sb.url, other.privatePem()))) {
            Support.expect(AuthException.class, null, "unregistered key", bad::authenticate);
        }
        List<LogRecord> failed = global.events("call_failed", null);
        assertEquals(1, failed.size(), "a failed call at WARNING:" + global.dump());
        assertEquals(Level.WARNING, failed.get(0).getLevel(), "call_failed level");
        assertNoSecret(global.records());
    }

    // ---- B2BINPAY

    /** A suspicious refresh reaches the process-wide logger at WARNING (the default level) and a
     * handle's own logger; stats count it. */
    @Test
    void b2binpaySuspiciousRefresh() throws Exception {
        B2c.setLogLevel(Level.WARNING);
        Map<String, Long> b0 = sb.stats("b2binpay");
        Logger ownLogger = LogCapture.ownLogger("b2binpay-own");
        try (B2binpay b = b2binpay(); LogCapture.Collector own = LogCapture.Collector.on(ownLogger)) {
            b.login();
            assertTrue(SandboxProtocolsTest.consumed(sb.control("b2binpay/consume-refresh", null)) >= 1, "consumed");
            b.refresh();
            LogRecord r = one(global, "suspicious_refresh", null, Level.WARNING, "suspicious, process-wide");
            assertShape(r, "b2c");
            assertEquals("b2c.b2binpay", r.getSourceClassName(), "target b2binpay");
            assertEquals(0, global.count("auth", null), "no INFO event at WARNING:" + global.dump());
            Map<String, Long> b1 = sb.stats("b2binpay");
            Stats s = b.stats();
            assertEquals(1, s.suspicious(), "stats count it: " + s);
            assertEquals(delta(b0, b1, "token_ok"), s.authExchanges(), "authExchanges == token_ok: " + s);
            assertEquals(2, s.authExchanges(), "login and the login after the replay: " + s);
            assertEquals(2, s.latency("token").count(), "latency of token: " + s);
            assertEquals(1, s.latency("token_refresh").count(), "latency of token_refresh: " + s);
            assertEquals(b.counters().suspicious(), s.suspicious(), "counters and stats agree");

            global.clear();
            b.setLogger(ownLogger, Level.INFO);
            b.login();
            assertTrue(SandboxProtocolsTest.consumed(sb.control("b2binpay/consume-refresh", null)) >= 1, "consumed");
            b.refresh();
            LogRecord o = one(own, "suspicious_refresh", null, Level.WARNING, "suspicious, own logger");
            assertShape(o, ownLogger.getName());
            assertEquals(2, own.count("auth", null), "two logins at INFO:" + own.dump());
            for (LogRecord x : own.events("auth", null)) {
                assertEquals(Level.INFO, x.getLevel(), "auth at INFO");
            }
            assertEquals(0, global.size(), "the process-wide logger saw none of it:" + global.dump());
            assertEquals(2, b.stats().suspicious(), "stats: two suspicious events");
            assertNoSecret(own.records());
            assertNoSecret(b.stats().json(), "the B2BINPAY statistics");
        }
        assertNoSecret(global.records());
    }

    /**
     * In a fresh JVM with logging untouched: the suspicious line goes through JUL (the root
     * ConsoleHandler) instead of the library's raw stderr line; INFO events are not routed at
     * the default level; Level.OFF silences it.
     */
    @Test
    void defaultRoutingInAFreshJvm() throws Exception {
        String jar = System.getenv("B2C_JAR");
        org.junit.jupiter.api.Assumptions.assumeTrue(jar != null && new File(jar).isFile(), "B2C_JAR not set");
        Path tmp = Files.createTempDirectory("b2c-java-logprobe");
        try {
            String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
            String jna = Support.env("JNA_JAR", "/usr/share/java/jna.jar");
            String testClasses = Paths.get(LogProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Djna.tmpdir=" + tmp.resolve("jna"), "-cp",
                jna + File.pathSeparator + jar + File.pathSeparator + testClasses, LogProbe.class.getName(), sb.url);
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            File out = tmp.resolve("out").toFile();
            File err = tmp.resolve("err").toFile();
            pb.redirectOutput(out);
            pb.redirectError(err);
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("LogProbe timed out");
            }
            String stdout = new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8);
            String stderr = new String(Files.readAllBytes(err.toPath()), StandardCharsets.UTF_8);
            String all = "exit " + p.exitValue() + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
            assertEquals(0, p.exitValue(), all);
            assertTrue(stdout.contains("suspicious=1\n") && stdout.contains("suspicious=2\n"), "both events counted: " + all);
            int off = stderr.indexOf("phase=off");
            assertTrue(stderr.startsWith("phase=default") && off > 0, all);
            String def = stderr.substring(0, off);
            String silenced = stderr.substring(off);
            assertTrue(def.contains("b2c.b2binpay suspicious_refresh") && def.contains("SUSPICIOUS"),
                "the suspicious event through the JUL ConsoleHandler: " + all);
            assertFalse(stderr.contains("b2c: warn"), "not the library's raw stderr line: " + all);
            assertFalse(def.contains("b2c.b2binpay auth"), "no INFO event at the default level: " + all);
            assertFalse(silenced.contains("suspicious") || silenced.contains("SUSPICIOUS"), "OFF silences it: " + all);
            assertNoSecret(stderr, "the child's stderr");
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted((a, b) -> b.compareTo(a)).forEach(x -> x.toFile().delete());
            }
        }
    }

    // ---- callback safety

    /** A handler that throws (RuntimeException, Error) or collects garbage drops that one event;
     * the call goes on, later events still arrive; a handler may call stats() but not close(). */
    @Test
    void handlerExceptionsNeverReachTheLibrary() throws Exception {
        Logger thrower = LogCapture.ownLogger("thrower");
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger statsSeen = new AtomicInteger();
        Client[] self = new Client[1];
        Handler bad = new Handler() {
            @Override
            public void publish(LogRecord r) {
                int n = calls.incrementAndGet();
                System.gc();
                if (n % 4 == 1) {
                    throw new IllegalStateException("handler boom");
                }
                if (n % 4 == 2) {
                    throw new AssertionError("handler error");
                }
                if (n % 4 == 3) {
                    statsSeen.set((int) self[0].stats().requests());
                    return;
                }
                self[0].close(); // IllegalStateException: close() from inside a call
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        thrower.addHandler(bad);
        // JNA would catch what escapes a callback and hand it to this handler: nothing may.
        List<Throwable> escaped = new ArrayList<>();
        Callback.UncaughtExceptionHandler jnaDefault = Native.getCallbackExceptionHandler();
        Native.setCallbackExceptionHandler((cb, t) -> {
            synchronized (escaped) {
                escaped.add(t);
            }
        });
        try (Client c = client()) {
            self[0] = c;
            c.setLogger(thrower, Level.FINEST);
            for (int i = 0; i < 4; i++) {
                fee(c, "j-throw-" + i);
                System.gc();
            }
            assertTrue(calls.get() >= 5, "the handler was called for every event: " + calls.get());
            assertTrue(statsSeen.get() >= 1, "stats() from inside a handler");
            assertFalse(c.isClosed(), "close() from a handler was refused");
            synchronized (escaped) {
                assertEquals(List.of(), escaped, "exceptions that escaped the callback into JNA");
            }

            Logger ownLogger = LogCapture.ownLogger("after-thrower");
            try (LogCapture.Collector own = LogCapture.Collector.on(ownLogger)) {
                c.setLogger(ownLogger, Level.FINE);
                fee(c, "j-throw-after");
                assertEquals(1, own.count("request", "processext"), "events flow again:" + own.dump());
            }
        } finally {
            Native.setCallbackExceptionHandler(jnaDefault);
            thrower.removeHandler(bad);
        }
    }

    /** Four threads share a client with its own logger: every exchange is one request event
     * (stats.requests), nothing lost or doubled. */
    @Test
    void fourThreadsShareALoggedClient() throws Exception {
        Logger ownLogger = LogCapture.ownLogger("threads");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (LogCapture.Collector own = LogCapture.Collector.on(ownLogger); Client c = client()) {
            c.setLogger(ownLogger, Level.FINE);
            c.authenticate();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int ti = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        fee(c, "j-log-thread-" + ti + "-" + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
            Stats s = c.stats();
            assertEquals(s.requests(), own.count("request", null), "one request event per exchange: " + s + own.dump());
            assertEquals(20, s.latency("processext").count(), "20 fee calls: " + s);
            assertEquals(0, global.size(), "nothing process-wide:" + global.dump());
        } finally {
            pool.shutdownNow();
        }
    }

    /** A handle that is never closed is freed by the Cleaner while its callback is installed. */
    @Test
    void unclosedHandleWithALoggerIsCollected() throws Exception {
        Logger ownLogger = LogCapture.ownLogger("unclosed");
        for (int i = 0; i < 3; i++) {
            Client c = client();
            c.setLogger(ownLogger, Level.FINE);
            fee(c, "j-unclosed-" + i);
        }
        TokenStoreTest.gc();
        try (LogCapture.Collector own = LogCapture.Collector.on(ownLogger); Client c = client()) {
            c.setLogger(ownLogger, Level.FINE);
            fee(c, "j-unclosed-last");
            assertEquals(1, own.count("request", "processext"), "still works:" + own.dump());
        }
    }

    @Test
    void setLoggerNeedsALevel() {
        try (Client c = client()) {
            Support.expect(NullPointerException.class, null, "setLogger(logger, null)",
                () -> c.setLogger(LogCapture.ownLogger("x"), null));
            c.setLogger(null, null); // removing needs none; removing twice is fine
            c.setLogger(null, Level.FINE);
        }
        Client closed = client();
        closed.close();
        Support.expect(IllegalStateException.class, null, "setLogger after close",
            () -> closed.setLogger(LogCapture.ownLogger("x"), Level.INFO));
        Support.expect(IllegalStateException.class, null, "stats after close", closed::stats);
    }

    // ---- the scan file, and the suite's setup

    /** The scan handler's line format (what scripts/secret-scan.py reads). */
    @Test
    void scanLineFormat() throws Exception {
        Logger ownLogger = LogCapture.ownLogger("scanline");
        try (LogCapture.Collector own = LogCapture.Collector.on(ownLogger); Client c = client()) {
            c.setLogger(ownLogger, Level.INFO);
            fee(c, "j-scan-1");
            LogRecord r = one(own, "auth", null, Level.INFO, "auth");
            assertArrayEquals(new Object[] {"b2copy", "auth"}, r.getParameters(), "parameters");
            String line = LogCapture.line(r);
            assertTrue(line.startsWith("INFO b2copy auth: ") && line.contains("no tokens held"), line);
        }
        Path f = LogCapture.scanFile();
        if (f != null) {
            String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
            assertTrue(text.contains("INFO b2copy auth: "), "the scan file has the records: " + f);
        }
    }

    /** Every test class runs the suite-wide log setup (so the scan sees the whole suite). */
    @Test
    void everyTestClassHasTheLogScanExtension() throws Exception {
        Path dir = Paths.get(LoggingTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("com/b2c/test");
        List<String> missing = new ArrayList<>();
        int classes = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".class") || n.contains("$")) {
                    continue;
                }
                Class<?> k = Class.forName("com.b2c.test." + n.substring(0, n.length() - 6));
                boolean tests = false;
                for (Method m : k.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(Test.class)) {
                        tests = true;
                    }
                }
                if (!tests) {
                    continue;
                }
                classes++;
                boolean has = false;
                for (ExtendWith e : k.getAnnotationsByType(ExtendWith.class)) {
                    for (Class<?> x : e.value()) {
                        if (x == LogScanExtension.class) {
                            has = true;
                        }
                    }
                }
                if (!has) {
                    missing.add(k.getSimpleName());
                }
            }
        }
        assertTrue(classes >= 12, "found the test classes: " + classes);
        assertEquals(List.of(), missing, "test classes without @ExtendWith(LogScanExtension.class)");
    }
}
