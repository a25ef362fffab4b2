package com.b2c.test;

import static com.b2c.test.Support.config;
import static com.b2c.test.Support.expect;
import static com.b2c.test.Support.publicKeyFromPem;
import static com.b2c.test.Support.verifyJwt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.b2c.AuthException;
import com.b2c.CancelledException;
import com.b2c.Client;
import com.b2c.FeeException;
import com.b2c.FeeProgress;
import com.b2c.FeeResult;
import com.b2c.FeeStatus;
import com.b2c.InvalidArgumentException;
import com.b2c.Key;
import com.b2c.NetworkException;
import com.b2c.ProtocolException;
import com.b2c.Status;
import com.b2c.StillPendingException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The B2COPY fee flow against the run's b2c-sandbox (one client shared by the tests). */
@ExtendWith({SandboxExtension.class, LogScanExtension.class})
class SandboxFeeTest {
    static Sandbox sb;
    static Client c;

    @BeforeAll
    static void start(Sandbox sandbox) {
        sb = sandbox;
        c = new Client(config(sb.url, sb.privatePem));
    }

    @AfterAll
    static void stop() {
        if (c != null) {
            c.close();
        }
    }

    @Test
    void authenticateAndJwt() throws Exception {
        c.authenticate(); // "authenticate": no exception
        assertTrue(verifyJwt(c.mintJwt(), publicKeyFromPem(sb.publicPem)), "client JWT verifies");
    }

    @Test
    void oneShotPendingThenWaitSuccess() {
        FeeResult r = c.feeProcess("123456", "j-req-1");
        assertSame(FeeStatus.PENDING, r.status(), "one-shot PENDING: " + r);

        List<FeeProgress> seen = new ArrayList<>();
        r = c.feeProcess("123456", "j-req-1", Duration.ofSeconds(20), p -> {
            seen.add(p);
            System.gc(); // the callback stub must survive a GC during the call
            return true;
        });
        assertTrue(r.status() == FeeStatus.SUCCESS && r.isSuccess(), "wait SUCCESS: " + r);
        assertTrue(seen.size() >= 2, "progress calls " + seen.size());
        boolean increasing = true;
        for (int i = 0; i < seen.size(); i++) {
            if (seen.get(i).attempt() != i + 1) {
                increasing = false;
            }
            if (i > 0 && seen.get(i).elapsed().compareTo(seen.get(i - 1).elapsed()) < 0) {
                increasing = false;
            }
        }
        assertTrue(increasing, "attempts 1,2,.. and elapsed non-decreasing: " + seen);
        assertSame(FeeStatus.SUCCESS, seen.get(seen.size() - 1).status(), "last progress SUCCESS");
    }

    @Test
    void errorLogin() {
        FeeException fe = expect(FeeException.class, Status.FEE_ERROR, "error login",
            () -> c.feeProcess("999999", "j-req-3", Duration.ofSeconds(20), null));
        assertSame(FeeStatus.ERROR, fe.feeStatus(), "FeeException.feeStatus ERROR");
        assertTrue(fe.getMessage().contains("insufficient funds"), "message has details: " + fe.getMessage());
    }

    @Test
    void listenerCancels() {
        AtomicInteger calls = new AtomicInteger();
        expect(CancelledException.class, Status.CANCELLED, "cancel",
            () -> c.feeProcess("123456", "j-req-2", Duration.ofSeconds(20), p -> {
                calls.incrementAndGet();
                return false;
            }));
        assertEquals(1, calls.get(), "cancelled after one progress call");
    }

    @Test
    void listenerExceptionPropagates() {
        IllegalStateException boom = expect(IllegalStateException.class, null, "listener exception propagates",
            () -> c.feeProcess("123456", "j-req-5", Duration.ofSeconds(20), p -> {
                throw new IllegalStateException("boom");
            }));
        assertEquals("boom", boom.getMessage(), "the listener's own exception");
    }

    @Test
    void stillPending() {
        Map<String, Object> slowCfg = config(sb.url, sb.privatePem);
        slowCfg.put("poll_interval_ms", 5000);
        try (Client slow = new Client(slowCfg)) {
            StillPendingException sp = expect(StillPendingException.class, Status.STILL_PENDING, "still pending",
                () -> slow.feeProcess("123456", "j-req-4", Duration.ofSeconds(1), null));
            assertSame(FeeStatus.PENDING, sp.feeStatus(), "StillPending feeStatus PENDING");
        }
    }

    static void assertB2copyDelta(Map<String, Long> d, String counter, long want, String what) {
        assertEquals(want, d.getOrDefault(counter, -999L), what + ": sandbox b2copy " + counter + " delta, all: " + d);
    }

    /**
     * Notes issue 9, point 5, B2COPY: b2copy/expire-access makes the held access token answer
     * 401 (no waiting for it to expire); the call refreshes once and sends the request again.
     */
    @Test
    void expiredAccessTokenIsRenewedByRefresh() throws Exception {
        try (Client own = new Client(config(sb.url, sb.privatePem))) {
            own.authenticate();
            Map<String, Long> before = sb.stats("b2copy");
            sb.control("b2copy/expire-access", null);
            FeeResult r = own.feeProcess("123456", "j-exp-1");
            assertTrue(r.status() == FeeStatus.PENDING || r.status() == FeeStatus.SUCCESS, "after expire-access: " + r);
            Map<String, Long> d = Sandbox.delta(before, sb.stats("b2copy"));
            assertB2copyDelta(d, "refresh_ok", 1, "one refresh");
            assertB2copyDelta(d, "refresh_rejected", 0, "one refresh");
            assertB2copyDelta(d, "auth_ok", 0, "no new JWT");
            assertB2copyDelta(d, "process_calls", 2, "the 401 and the request again");
        }
    }

    /** Notes issue 9, point 6: a failed B2COPY refresh falls back to a new JWT, not a failure. */
    @Test
    void failedRefreshFallsBackToANewJwt() throws Exception {
        try (Client own = new Client(config(sb.url, sb.privatePem))) {
            own.authenticate();
            Map<String, Long> before = sb.stats("b2copy");
            sb.control("b2copy/expire-access", null);
            sb.control("b2copy/revoke-refresh", null);
            FeeResult r = own.feeProcess("123456", "j-rev-1");
            assertTrue(r.status() == FeeStatus.PENDING || r.status() == FeeStatus.SUCCESS, "after revoke-refresh: " + r);
            Map<String, Long> d = Sandbox.delta(before, sb.stats("b2copy"));
            assertB2copyDelta(d, "refresh_ok", 0, "the refresh fails");
            assertB2copyDelta(d, "refresh_rejected", 1, "the refresh fails");
            assertB2copyDelta(d, "auth_ok", 1, "then a new JWT");
            assertB2copyDelta(d, "auth_rejected", 0, "then a new JWT");
        }
    }

    @Test
    void requestIdReusedWithAnotherAccount() {
        c.feeProcess("123456", "j-req-409");
        ProtocolException pe = expect(ProtocolException.class, Status.HTTP_STATUS, "request id reused",
            () -> c.feeProcess("654321", "j-req-409"));
        assertEquals(409, pe.httpStatus(), "HTTP 409");
    }

    @Test
    void emptyLogin() {
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "empty login",
            () -> c.feeProcess("", "j-req-6"));
    }

    @Test
    void fourThreadsShareOneClient() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
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
                    fail("thread failed: " + e, e);
                }
            }
            assertEquals(12, total, "threads: succeeded of 12");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unregisteredKey() {
        try (Key other = Key.generate(); Client bad = new Client(config(sb.url, other.privatePem()))) {
            AuthException ae = expect(AuthException.class, Status.AUTH_REJECTED, "unregistered key", bad::authenticate);
            assertEquals(401, ae.httpStatus(), "HTTP 401");
        }
    }

    /** A sandbox of its own, stopped before the calls. */
    @Test
    void sandboxGone() throws Exception {
        String url;
        String pem;
        try (Sandbox gone = Sandbox.start()) {
            url = gone.url;
            pem = gone.privatePem;
        }
        assertNotNull(url);
        Map<String, Object> down = config(url, pem);
        down.put("call_deadline_ms", 1500);
        down.put("connect_timeout_ms", 500);
        try (Client dc = new Client(down)) {
            expect(NetworkException.class, null, "sandbox gone", dc::authenticate);
        }
        Client closed = new Client(config(url, pem));
        closed.close();
        expect(IllegalStateException.class, null, "client use after close", closed::authenticate);
    }
}
