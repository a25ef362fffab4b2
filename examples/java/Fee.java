// Charge the fees of one withdrawal with the b2c JNA binding (bindings/java).
//
// Build and run (from the repository root; scripts/example-java.sh does exactly this):
//   bindings/java/build-jar.sh build/java/b2c.jar target/release/libb2c.so   # bundles libb2c
//   javac -cp /usr/share/java/jna.jar:build/java/b2c.jar -d build/java/example-classes examples/java/Fee.java
//   B2C_BASE_URL=http://127.0.0.1:8080 B2C_ADMIN_ID=42 B2C_DEVICE_IP=127.0.0.1 B2C_KEY_ID=kid1 \
//   B2C_PRIVATE_KEY=/path/key.pem \
//     java -cp /usr/share/java/jna.jar:build/java/b2c.jar:build/java/example-classes Fee
// The jar's bundled libb2c is used unless B2C_LIBRARY names another one (see
// bindings/java/README.md, "Loading libb2c").
//
// Env: B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID, B2C_PRIVATE_KEY (PEM path),
// B2C_ACCOUNT (default 123456), B2C_REQUEST_ID (default example-1), B2C_WAIT_MS (default 60000),
// B2C_POLL_INTERVAL_MS (optional; the library's default otherwise), B2C_LOG_LEVEL (optional: a
// java.util.logging level, e.g. INFO or FINE; the library's events are printed on stderr at
// that level; without it only WARNING ones go through the JVM's default console handler),
// B2C_TOKEN_DIR (optional: an absolute directory, mode 0700 or missing, for the file token
// store: every process of this host using it shares one token pair; see bindings/java/README.md,
// "Many processes, one credential"), B2C_CALL_PATH (optional: after the fee, one generic
// GET of that B2COPY path, e.g. /api/admin/v2/accounts/123456, with the client's token; prints
// the HTTP status, whatever it is: see bindings/java/README.md, "Calls").
// Prints the client's statistics at the end.
// Exit: 0 SUCCESS, 3 ERROR, 4 still pending, 1 anything else.

import com.b2c.B2c;
import com.b2c.B2cException;
import com.b2c.Client;
import com.b2c.FeeException;
import com.b2c.FeeResult;
import com.b2c.Latency;
import com.b2c.Response;
import com.b2c.Stats;
import com.b2c.StillPendingException;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;

public final class Fee {
    static String env(String name, String dflt) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            if (dflt == null) {
                throw new IllegalArgumentException("environment variable " + name + " is required");
            }
            return dflt;
        }
        return v;
    }

    /** Held: the LogManager keeps loggers weakly (and with them their level). */
    static final Logger B2C_LOG = Logger.getLogger("b2c");

    /** The library's events on stderr at {@code level} (the root console handler stops at INFO). */
    static void logAt(String level) {
        Level l = Level.parse(level.toUpperCase(java.util.Locale.ROOT));
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(l);
        B2C_LOG.setUseParentHandlers(false);
        B2C_LOG.addHandler(h);
        B2c.setLogLevel(l); // the logger's level and the library's, together
    }

    static void printStats(Stats s) {
        System.out.println("stats: requests " + s.requests() + ", retries " + s.retries() + " " + s.retriesByCause()
            + ", auth exchanges " + s.authExchanges() + ", refreshes " + s.refreshes() + ", 401s " + s.unauthorized()
            + ", connections " + s.connectionsOpened() + ", store loads " + s.storeLoads() + " adopted "
            + s.storeAdopted() + " saves " + s.storeSaves() + " errors " + s.storeErrors());
        for (Map.Entry<String, Latency> e : s.latency().entrySet()) {
            Latency l = e.getValue();
            System.out.println("latency " + e.getKey() + ": " + l.count() + " calls, p50 " + l.p50Us() + " us, p99 "
                + l.p99Us() + " us, max " + l.maxUs() + " us");
        }
    }

    public static void main(String[] args) {
        int code;
        try {
            String logLevel = env("B2C_LOG_LEVEL", "");
            if (!logLevel.isEmpty()) {
                logAt(logLevel);
            }
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("base_url", env("B2C_BASE_URL", null));
            cfg.put("admin_id", Long.parseUnsignedLong(env("B2C_ADMIN_ID", null)));
            cfg.put("device_ip", env("B2C_DEVICE_IP", null));
            cfg.put("key_id", env("B2C_KEY_ID", null));
            cfg.put("private_key_path", env("B2C_PRIVATE_KEY", null));
            String poll = env("B2C_POLL_INTERVAL_MS", "");
            if (!poll.isEmpty()) {
                cfg.put("poll_interval_ms", Long.parseLong(poll));
            }
            String tokenDir = env("B2C_TOKEN_DIR", "");
            if (!tokenDir.isEmpty()) {
                cfg.put("token_store", Map.of("type", "file", "path", tokenDir));
            }
            String account = env("B2C_ACCOUNT", "123456");
            String requestId = env("B2C_REQUEST_ID", "example-1");
            Duration wait = Duration.ofMillis(Long.parseLong(env("B2C_WAIT_MS", "60000")));
            String callPath = env("B2C_CALL_PATH", "");

            try (Client client = new Client(cfg)) {
                try {
                    FeeResult r = client.feeProcess(account, requestId, wait, p -> {
                        System.out.println("status " + p.status() + " (attempt " + p.attempt() + ", "
                            + p.elapsed().toMillis() + " ms)");
                        return true;
                    });
                    System.out.println("final " + r.status());
                    code = r.isSuccess() ? 0 : 4;
                    if (!callPath.isEmpty()) {
                        Response resp = client.call("GET", callPath); // any status is an answer
                        System.out.println("call GET " + callPath + ": HTTP " + resp.status() + ", "
                            + resp.body().length + " bytes");
                    }
                } finally {
                    printStats(client.stats());
                }
            }
        } catch (FeeException e) {
            System.out.println("final ERROR: " + e.getMessage());
            code = 3;
        } catch (StillPendingException e) {
            System.out.println("final PENDING (still pending): " + e.getMessage());
            code = 4;
        } catch (B2cException e) {
            System.err.println("failed: " + e);
            code = 1;
        } catch (RuntimeException e) {
            System.err.println("failed: " + e);
            code = 1;
        }
        System.exit(code);
    }
}
