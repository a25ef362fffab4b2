package com.b2c.test;

import static com.b2c.test.Support.config;
import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.AccessToken;
import com.b2c.B2binpay;
import com.b2c.B2c;
import com.b2c.B2cLibrary;
import com.b2c.Client;
import com.b2c.FeeResult;
import com.b2c.FeeStatus;
import com.b2c.InvalidArgumentException;
import com.b2c.Stats;
import com.b2c.Status;
import com.b2c.TokenStore;

import com.sun.jna.Callback;
import com.sun.jna.Native;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Many processes, one credential (docs: bindings/java/README.md): shared handles
 * ({@code Client.shared}, {@code B2binpay.shared}, {@code B2c.clearShared}), the file store
 * (the {@code token_store} configuration key) and host stores ({@link TokenStore}), against the
 * run's sandbox (counters as deltas of {@code /_sandbox/stats}).
 */
@ExtendWith({SandboxExtension.class, LogScanExtension.class})
class TokenStoreTest {
    static Sandbox sb;
    static final AtomicInteger IDS = new AtomicInteger();

    /** Catches what JNA would see escaping a callback (nothing may). */
    final List<Throwable> escaped = Collections.synchronizedList(new ArrayList<>());
    Callback.UncaughtExceptionHandler jnaDefault;

    @BeforeAll
    static void start(Sandbox sandbox) {
        sb = sandbox;
    }

    @BeforeEach
    void watchCallbacks() {
        jnaDefault = Native.getCallbackExceptionHandler();
        Native.setCallbackExceptionHandler((cb, t) -> escaped.add(t));
    }

    @AfterEach
    void noEscapes() {
        Native.setCallbackExceptionHandler(jnaDefault);
        B2c.clearShared();
        assertEquals(List.of(), escaped, "exceptions that escaped a store callback into JNA");
    }

    static void fee(Client c) {
        String id = "j-store-" + IDS.incrementAndGet();
        FeeResult r = c.feeProcess("123456", id);
        assertTrue(r.status() == FeeStatus.PENDING || r.status() == FeeStatus.SUCCESS, id + ": " + r);
    }

    static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
        assertTrue(after.containsKey(key), "sandbox counter " + key + " in " + after);
        return after.get(key) - before.getOrDefault(key, 0L);
    }

    /** A configuration of its own (the deadline makes it distinct from any other test's). */
    static Map<String, Object> cfg(long deadlineMs) {
        Map<String, Object> m = config(sb.url, sb.privatePem);
        m.put("call_deadline_ms", deadlineMs);
        return m;
    }

    static Map<String, Object> reversed(Map<String, Object> m) {
        List<String> keys = new ArrayList<>(m.keySet());
        Collections.reverse(keys);
        Map<String, Object> r = new LinkedHashMap<>();
        for (String k : keys) {
            r.put(k, m.get(k));
        }
        return r;
    }

    static Map<String, Object> b2binpayCfg(Map<String, Object> extra) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("base_url", sb.url + "/b2binpay");
        cfg.put("login", "sandbox-login");
        cfg.put("password", "sandbox-password");
        cfg.putAll(extra);
        return cfg;
    }

    static Map<String, Object> fileStore(Path dir) {
        Map<String, Object> ts = new LinkedHashMap<>();
        ts.put("type", "file");
        ts.put("path", dir.toString());
        return ts;
    }

    /** The configuration with {@code "token_store": {"type": "file", "path": dir}}, as JSON text. */
    static String withFileStore(Map<String, Object> cfg, Path dir) {
        Map<String, Object> m = new LinkedHashMap<>(cfg);
        m.put("token_store", fileStore(dir));
        return com.b2c.Json.encode(m);
    }

    /** A few full collections (weak references are cleared by the collection itself). */
    static void gc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
    }

    /** True once {@code ref} was cleared (a few collections; false if it stays reachable). */
    static boolean collected(WeakReference<?> ref) {
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
        }
        return ref.get() == null;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    // ---- a host store for the tests

    /** Values in memory; a lock per key with a lease (expired leases are free), owner-less. */
    static final class MemoryStore implements TokenStore {
        final Map<String, byte[]> values = new ConcurrentHashMap<>();
        final Set<String> keys = ConcurrentHashMap.newKeySet();
        private final Map<String, Long> lockedUntil = new HashMap<>(); // guarded by this
        final AtomicInteger loads = new AtomicInteger();
        final AtomicInteger saves = new AtomicInteger();
        final AtomicInteger locks = new AtomicInteger();
        final AtomicInteger unlocks = new AtomicInteger();
        final AtomicInteger maxHeld = new AtomicInteger();
        private int held; // guarded by this

        @Override
        public byte[] load(String key) {
            loads.incrementAndGet();
            keys.add(key);
            byte[] v = values.get(key);
            return v == null ? null : v.clone();
        }

        @Override
        public void save(String key, byte[] value) {
            saves.incrementAndGet();
            keys.add(key);
            values.put(key, value.clone());
        }

        @Override
        public synchronized boolean lock(String key, long timeoutMs, long leaseMs) throws InterruptedException {
            locks.incrementAndGet();
            keys.add(key);
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            while (true) {
                long now = System.nanoTime();
                Long until = lockedUntil.get(key);
                if (until == null || until - now <= 0) {
                    break;
                }
                if (deadline - now <= 0) {
                    return false;
                }
                long waitNs = Math.min(deadline, until) - now;
                wait(Math.max(1, waitNs / 1_000_000L));
            }
            lockedUntil.put(key, System.nanoTime() + Math.max(1, leaseMs) * 1_000_000L);
            held++;
            maxHeld.accumulateAndGet(held, Math::max);
            return true;
        }

        @Override
        public synchronized void unlock(String key) {
            unlocks.incrementAndGet();
            if (lockedUntil.remove(key) != null) {
                held--;
            }
            notifyAll();
        }
    }

    // ---- shared handles

    /**
     * Two {@code Client.shared} objects with the same configuration (keys in another order, one
     * from a map, one from JSON text) are one native client: after a fee call on the first and
     * closing it, a fee call on the second makes no new authexternalcrm and its stats count
     * both calls. clearShared drops the idle client (once); a new shared one authenticates anew.
     */
    @Test
    void sharedClientsAreOneNativeClient() throws Exception {
        Map<String, Object> cfg = cfg(7101);
        Map<String, Long> b0 = sb.stats("b2copy");
        Client a = Client.shared(cfg);
        fee(a);
        a.close();
        assertTrue(a.isClosed(), "closed");
        try (Client b = Client.shared(com.b2c.Json.encode(reversed(cfg)))) {
            fee(b);
            Map<String, Long> b1 = sb.stats("b2copy");
            assertEquals(1, delta(b0, b1, "auth_ok"), "one authexternalcrm for both handles");
            Stats s = b.stats();
            assertEquals(2, s.latency("processext").count(), "one client behind both handles: " + s);
            assertEquals(1, s.authExchanges(), "its one exchange: " + s);
            assertEquals(0, B2c.clearShared(), "a held shared client is not dropped");
            fee(b);
        }
        assertTrue(B2c.clearShared() >= 1, "the idle shared client is dropped");
        assertEquals(0, B2c.clearShared(), "and only once");

        Map<String, Long> b2 = sb.stats("b2copy");
        try (Client c = Client.shared(cfg)) {
            fee(c);
            assertEquals(1, delta(b2, sb.stats("b2copy"), "auth_ok"), "after clearShared: a new native client");
            assertEquals(1, c.stats().latency("processext").count(), "fresh stats: " + c.stats());
        }
    }

    /** Two handles held at once; a non-shared client of the same configuration is another client. */
    @Test
    void sharedHandlesHeldTogetherAndOwnClientsApart() throws Exception {
        Map<String, Object> cfg = cfg(7102);
        Map<String, Long> b0 = sb.stats("b2copy");
        try (Client a = Client.shared(cfg); Client b = Client.shared(reversed(cfg)); Client own = new Client(cfg)) {
            fee(a);
            fee(b);
            assertEquals(1, delta(b0, sb.stats("b2copy"), "auth_ok"), "a and b: one exchange");
            fee(own);
            assertEquals(2, delta(b0, sb.stats("b2copy"), "auth_ok"), "new Client(cfg) is not shared");
            assertEquals(2, a.stats().latency("processext").count(), "a sees b's call");
            assertEquals(1, own.stats().latency("processext").count(), "own sees its own only");
            a.close();
            fee(b);
            assertEquals(3, b.stats().latency("processext").count(), "b goes on after a was closed");
            expect(IllegalStateException.class, null, "a closed handle", () -> fee(a));
            expect(IllegalStateException.class, null, "setTokenStore on a closed handle",
                () -> a.setTokenStore(new MemoryStore()));
            expect(IllegalStateException.class, null, "setTokenStore(null) on a closed handle",
                () -> a.setTokenStore(null));
        }
        expect(InvalidArgumentException.class, Status.CONFIG, "shared with a bad configuration",
            () -> Client.shared("{\"base_url\": 1}").close());
        expect(InvalidArgumentException.class, Status.CONFIG, "shared with broken JSON",
            () -> Client.shared("{\"base_url\":").close());
        expect(NullPointerException.class, null, "null", () -> Client.shared((String) null));
    }

    /** A logger set through one shared handle applies to the other, and outlives the handle
     * (and the Java objects) that set it. */
    @Test
    void aLoggerSetThroughOneSharedHandleOutlivesIt() throws Exception {
        Map<String, Object> cfg = cfg(7103);
        Logger own = LogCapture.ownLogger("shared-own");
        try (LogCapture.Collector col = LogCapture.Collector.on(own)) {
            Client a = Client.shared(cfg);
            a.setLogger(own, Level.INFO);
            fee(a);
            assertEquals(1, col.count("auth", null), "a's auth through its logger:" + col.dump());
            a.close();
            a = null;
            gc();
            try (Client b = Client.shared(cfg)) {
                col.clear();
                sb.control("b2copy/expire-access", null);
                gc();
                fee(b);
                assertEquals(1, col.count("unauthorized", null), "b's 401 reaches the logger set through a:" + col.dump());
                assertEquals(1, col.count("refresh", "401"), "b's refresh too:" + col.dump());
                b.setLogger(null, null);
                col.clear();
                fee(b);
                assertEquals(0, col.size(), "removed through b:" + col.dump());
            }
        }
    }

    /** B2binpay.shared: two handles, one login, the same token. */
    @Test
    void sharedB2binpay() throws Exception {
        Map<String, Object> cfg = b2binpayCfg(Map.of("deadline_ms", 7104));
        Map<String, Long> p0 = sb.stats("b2binpay");
        try (B2binpay h1 = B2binpay.shared(cfg); B2binpay h2 = B2binpay.shared(reversed(cfg))) {
            AccessToken t1 = h1.accessToken();
            AccessToken t2 = h2.accessToken();
            assertEquals(1, delta(p0, sb.stats("b2binpay"), "token_ok"), "one login for both handles");
            assertTrue(t1.token().equals(t2.token()), "one token pair (tokens not printed)");
            assertEquals(1, h2.counters().logins(), "h2 counts h1's login");
        }
        try (B2binpay h3 = B2binpay.shared(com.b2c.Json.encode(cfg))) {
            h3.accessToken();
            assertEquals(1, delta(p0, sb.stats("b2binpay"), "token_ok"), "kept after both were closed");
        }
        assertTrue(B2c.clearShared() >= 1, "dropped");
        try (B2binpay h4 = B2binpay.shared(cfg)) {
            h4.accessToken();
            assertEquals(2, delta(p0, sb.stats("b2binpay"), "token_ok"), "after clearShared: a new login");
        }
    }

    // ---- the file store

    /** Two clients (two processes, as far as the store can tell) with one token_store dir:
     * one exchange. The dir is created 0700, the record 0600 and holds no key. */
    @Test
    void fileStoreTwoClientsOneExchange() throws Exception {
        Path tmp = Files.createTempDirectory("b2c-java-store");
        Path dir = tmp.resolve("tokens");
        try {
            String json = withFileStore(cfg(7105), dir);
            Map<String, Long> b0 = sb.stats("b2copy");
            try (Client a = new Client(json)) {
                fee(a);
            }
            try (Client b = new Client(json)) {
                fee(b);
                Stats s = b.stats();
                assertEquals(0, s.authExchanges(), "b authenticated nothing: " + s);
                assertTrue(s.storeAdopted() >= 1 && s.storeLoads() >= 1, "b adopted the stored pair: " + s);
            }
            assertEquals(1, delta(b0, sb.stats("b2copy"), "auth_ok"), "one authexternalcrm for both clients");
            assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir), "dir 0700");
            List<Path> records = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(Files::isRegularFile).forEach(records::add);
            }
            assertFalse(records.isEmpty(), "a record in " + dir);
            for (Path r : records) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(r);
                assertFalse(perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ),
                    "record " + r + " readable by others: " + perms);
                String text = new String(Files.readAllBytes(r), StandardCharsets.UTF_8);
                assertFalse(text.contains("PRIVATE KEY"), "the record holds no key");
            }

            // A B2BINPAY handle pair with a file store: one login.
            Map<String, Object> bcfg = b2binpayCfg(Map.of("token_store", fileStore(tmp.resolve("b2binpay"))));
            Map<String, Long> p0 = sb.stats("b2binpay");
            try (B2binpay h1 = new B2binpay(bcfg); B2binpay h2 = new B2binpay(bcfg)) {
                String t1 = h1.accessToken().token();
                assertTrue(t1.equals(h2.accessToken().token()), "h2 adopted h1's pair (tokens not printed)");
            }
            assertEquals(1, delta(p0, sb.stats("b2binpay"), "token_ok"), "one B2BINPAY login");
        } finally {
            deleteTree(tmp);
        }
    }

    /** An existing token_store dir with mode 0755 is refused: the InvalidArgumentException
     * family (CONFIG), at construction. So is a relative path. */
    @Test
    void fileStoreDirWithMode0755IsRefused() throws Exception {
        Path tmp = Files.createTempDirectory("b2c-java-store");
        try {
            Path dir = Files.createDirectory(tmp.resolve("open"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            InvalidArgumentException e = expect(InvalidArgumentException.class, Status.CONFIG, "a 0755 store dir",
                () -> new Client(withFileStore(cfg(7106), dir)).close());
            assertTrue(e.getMessage().contains("token_store") || e.getMessage().contains(dir.toString())
                || e.getMessage().contains("0700") || e.getMessage().contains("mode"), "names the problem: " + e.getMessage());
            expect(InvalidArgumentException.class, Status.CONFIG, "a 0755 store dir (shared)",
                () -> Client.shared(withFileStore(cfg(7106), dir)).close());
            expect(InvalidArgumentException.class, Status.CONFIG, "a relative store dir",
                () -> new Client(withFileStore(cfg(7106), java.nio.file.Paths.get("relative/dir"))).close());
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            new Client(withFileStore(cfg(7106), dir)).close(); // 0700: accepted
        } finally {
            deleteTree(tmp);
        }
    }

    // ---- host stores

    /**
     * An in-memory TokenStore shared by two clients: one exchange; after expire-access both go
     * on with ONE refresh (refresh_ok 1, refresh_rejected 0). Every lock is unlocked, keys have
     * the documented shape, the value holds no key.
     */
    @Test
    void hostStoreSharedByTwoClients() throws Exception {
        MemoryStore m = new MemoryStore();
        Map<String, Object> cfg = cfg(7107);
        try (Client a = new Client(cfg); Client b = new Client(cfg)) {
            a.setTokenStore(m);
            b.setTokenStore(m);
            gc(); // the callbacks must survive a collection
            Map<String, Long> b0 = sb.stats("b2copy");
            fee(a);
            fee(b);
            assertEquals(1, delta(b0, sb.stats("b2copy"), "auth_ok"), "one exchange for both");
            sb.control("b2copy/expire-access", null);
            gc();
            fee(a);
            fee(b);
            Map<String, Long> b1 = sb.stats("b2copy");
            assertEquals(1, delta(b0, b1, "auth_ok"), "still one exchange");
            assertEquals(1, delta(b0, b1, "refresh_ok"), "ONE refresh for both");
            assertEquals(0, delta(b0, b1, "refresh_rejected"), "no refresh token sent twice");

            assertEquals(2, m.saves.get(), "two pairs saved (the exchange and the refresh)");
            assertEquals(m.locks.get(), m.unlocks.get(), "every lock released");
            assertTrue(m.locks.get() >= 2, "renewals under the lock: " + m.locks.get());
            assertEquals(1, m.maxHeld.get(), "one lock at a time");
            assertEquals(1, m.keys.size(), "one record per credential: " + m.keys);
            String key = m.keys.iterator().next();
            assertTrue(key.matches("b2copy-[0-9a-f]{40}"), "key shape: " + key);
            String value = new String(m.values.get(key), StandardCharsets.UTF_8);
            assertFalse(value.contains("PRIVATE KEY"), "the record holds no key");

            Stats sa = a.stats();
            Stats sbs = b.stats();
            assertEquals(0, sbs.authExchanges(), "b never authenticated: " + sbs);
            assertEquals(2, sbs.storeAdopted(), "b adopted twice: " + sbs);
            assertEquals(2, sa.storeSaves() + sbs.storeSaves(), "store_saves: " + sa + " " + sbs);
            assertEquals(0, sa.storeErrors() + sbs.storeErrors(), "no store error: " + sa + " " + sbs);

            // Detached: b keeps its own tokens and stops reading the store.
            b.setTokenStore(null);
            int loads = m.loads.get();
            sb.control("b2copy/expire-access", null);
            fee(b);
            assertEquals(loads, m.loads.get(), "a detached store is not read");
            assertEquals(2, delta(b0, sb.stats("b2copy"), "refresh_ok"), "b refreshed on its own");
        }
    }

    /** Two B2BINPAY handles with one host store: one login, one token. */
    @Test
    void hostStoreSharedByTwoB2binpayHandles() throws Exception {
        MemoryStore m = new MemoryStore();
        Map<String, Long> p0 = sb.stats("b2binpay");
        Map<String, Object> cfg = b2binpayCfg(Map.of());
        try (B2binpay h1 = new B2binpay(cfg); B2binpay h2 = new B2binpay(cfg)) {
            h1.setTokenStore(m);
            h2.setTokenStore(m);
            String t1 = h1.accessToken().token();
            assertTrue(t1.equals(h2.accessToken().token()), "h2 adopted h1's pair (tokens not printed)");
            assertEquals(1, delta(p0, sb.stats("b2binpay"), "token_ok"), "one login");
            assertEquals(m.locks.get(), m.unlocks.get(), "every lock released");
            String key = m.keys.iterator().next();
            assertTrue(key.matches("b2binpay-[0-9a-f]{40}"), "key shape: " + key);
            assertFalse(new String(m.values.get(key), StandardCharsets.UTF_8).contains("sandbox-password"),
                "the record holds no password");
        }
    }

    /** A store whose load throws (an unchecked exception, an Error, a checked one) is
     * tolerated: the call succeeds, the failure is a WARNING "store" event and counts in
     * store_errors; nothing reaches JNA's exception handler. Every method throwing too. */
    @Test
    void aThrowingStoreIsTolerated() throws Exception {
        AtomicInteger loadCalls = new AtomicInteger();
        MemoryStore inner = new MemoryStore();
        TokenStore throwingLoad = new TokenStore() {
            @Override
            public byte[] load(String key) throws Exception {
                int n = loadCalls.incrementAndGet();
                if (n % 3 == 1) {
                    throw new IllegalStateException("load boom");
                }
                if (n % 3 == 2) {
                    throw new AssertionError("load error");
                }
                throw new IOException("load io");
            }

            @Override
            public void save(String key, byte[] value) {
                inner.save(key, value);
            }

            @Override
            public boolean lock(String key, long timeoutMs, long leaseMs) throws Exception {
                return inner.lock(key, timeoutMs, leaseMs);
            }

            @Override
            public void unlock(String key) {
                inner.unlock(key);
            }
        };
        Logger own = LogCapture.ownLogger("throwing-store");
        try (LogCapture.Collector col = LogCapture.Collector.on(own); Client c = new Client(cfg(7108))) {
            c.setLogger(own, Level.INFO);
            c.setTokenStore(throwingLoad);
            fee(c);
            fee(c);
            assertTrue(loadCalls.get() >= 1, "load was called");
            Stats s = c.stats();
            assertTrue(s.storeErrors() >= 1, "store_errors counts it: " + s);
            List<LogRecord> store = col.events("store", null);
            assertFalse(store.isEmpty(), "a store event:" + col.dump());
            for (LogRecord r : store) {
                assertEquals(Level.WARNING, r.getLevel(), "store events are warnings: " + LogCapture.line(r));
            }
        }

        TokenStore allThrow = new TokenStore() {
            @Override
            public byte[] load(String key) {
                throw new IllegalStateException("load");
            }

            @Override
            public void save(String key, byte[] value) {
                throw new IllegalStateException("save");
            }

            @Override
            public boolean lock(String key, long timeoutMs, long leaseMs) {
                throw new IllegalStateException("lock");
            }

            @Override
            public void unlock(String key) {
                throw new IllegalStateException("unlock");
            }
        };
        try (Client c = new Client(cfg(7108))) {
            c.setTokenStore(allThrow);
            fee(c);
            sb.control("b2copy/expire-access", null);
            fee(c);
            assertTrue(c.stats().storeErrors() >= 2, "errors counted: " + c.stats());
        }
        try (B2binpay h = new B2binpay(b2binpayCfg(Map.of()))) {
            h.setTokenStore(allThrow);
            assertNotNull(h.accessToken().token(), "B2BINPAY goes on without the store");
        }
    }

    /** load answering a value longer than the library's 65536-byte buffer: the record is
     * ignored (the client authenticates itself), nothing is overrun. */
    @Test
    void anOversizedValueIsIgnored() throws Exception {
        TokenStore huge = new TokenStore() {
            @Override
            public byte[] load(String key) {
                return new byte[70000];
            }

            @Override
            public void save(String key, byte[] value) {
            }

            @Override
            public boolean lock(String key, long timeoutMs, long leaseMs) {
                return true;
            }

            @Override
            public void unlock(String key) {
            }
        };
        try (Client c = new Client(cfg(7109))) {
            c.setTokenStore(huge);
            fee(c);
            Stats s = c.stats();
            assertEquals(1, s.authExchanges(), "authenticated itself: " + s);
            assertEquals(0, s.storeAdopted(), "adopted nothing: " + s);
        }
    }

    /** The binding keeps a store referenced while installed (callbacks use it after the
     * handle's Java object is gone) and releases it once the native object is freed: at
     * close() for an own handle, at clearShared() for a shared one. */
    @Test
    void storesAreReleasedWithTheirNativeObject() throws Exception {
        WeakReference<MemoryStore> ownRef;
        try (Client c = new Client(cfg(7110))) {
            MemoryStore m = new MemoryStore();
            ownRef = new WeakReference<>(m);
            c.setTokenStore(m);
            m = null;
            gc();
            assertNotNull(ownRef.get(), "kept while installed");
            fee(c);
            assertNotNull(ownRef.get(), "kept while installed");
            assertEquals(1, ownRef.get().saves.get(), "it was used");
        }
        assertTrue(collected(ownRef), "released with the native client");

        Map<String, Object> cfg = cfg(7111);
        Client a = Client.shared(cfg);
        MemoryStore m = new MemoryStore();
        WeakReference<MemoryStore> sharedRef = new WeakReference<>(m);
        a.setTokenStore(m);
        m = null;
        a.close();
        a = null;
        gc();
        assertNotNull(sharedRef.get(), "a shared client keeps its store after its handles are closed");
        try (Client b = Client.shared(cfg)) {
            fee(b);
            assertEquals(1, sharedRef.get().saves.get(), "b uses the store set through a");
        }
        assertTrue(B2c.clearShared() >= 1, "dropped");
        assertTrue(collected(sharedRef), "released by clearShared");
    }

    /** The raw struct: six pointer-sized fields, struct_size set. */
    @Test
    void tokenStoreStructLayout() {
        B2cLibrary.TokenStoreStruct s = new B2cLibrary.TokenStoreStruct(null, null, null, null, null);
        assertEquals(6L * Native.POINTER_SIZE, s.size(), "sizeof(b2c_token_store)");
        assertEquals(s.size(), s.struct_size.longValue(), "struct_size");
        assertNotEquals(0, s.size());
    }
}
