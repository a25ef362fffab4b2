package com.b2c.test;

import com.b2c.B2binpay;
import com.b2c.B2c;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;

/**
 * Run in a child JVM by {@link LoggingTest} with the sandbox URL: a suspicious B2BINPAY refresh
 * with the JVM's logging configuration untouched (the "b2c" logger has no level; the root
 * ConsoleHandler writes to stderr), then the same after {@code B2c.setLogLevel(Level.OFF)}.
 * Prints {@code phase=default} / {@code phase=off} to stderr before each, and
 * {@code suspicious=N} (the handle's statistics) to stdout after each. Feeds the scan file
 * (B2C_SCAN_DIR) without changing any level.
 */
public final class LogProbe {
    private LogProbe() {}

    public static void main(String[] args) throws Exception {
        String url = args[0];
        LogCapture.attachScanFile(LogCapture.B2C);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("base_url", url + "/b2binpay");
        cfg.put("login", "sandbox-login");
        cfg.put("password", "sandbox-password");
        try (B2binpay b = new B2binpay(cfg)) {
            System.err.println("phase=default");
            System.err.flush();
            suspicious(url, b);
            System.out.println("suspicious=" + b.stats().suspicious());
            B2c.setLogLevel(Level.OFF);
            System.err.println("phase=off");
            System.err.flush();
            suspicious(url, b);
            System.out.println("suspicious=" + b.stats().suspicious());
        }
        System.err.flush();
        System.out.flush();
    }

    static void suspicious(String url, B2binpay b) throws Exception {
        b.login();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/_sandbox/b2binpay/consume-refresh"))
            .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("consume-refresh: HTTP " + r.statusCode());
        }
        b.refresh();
    }
}
