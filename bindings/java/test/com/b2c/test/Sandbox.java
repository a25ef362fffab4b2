package com.b2c.test;

import com.b2c.Key;

import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A b2c-sandbox process (binary from env B2C_SANDBOX, default
 * {@code <root>/target/release/b2c-sandbox}) with a fresh key registered as
 * {@code kid1:42}, 2 pending polls and error login 999999. Shared by the whole run through
 * {@link SandboxExtension}; {@link #start()} makes a private one.
 *
 * <p>{@link #control} and {@link #stats} use the sandbox's control surface
 * ({@code POST /_sandbox/...}, {@code GET /_sandbox/stats}). The shared sandbox serves every
 * test, so assert on the delta of a counter across a step ({@link #delta}), never on its
 * absolute value, and put back what a control changed (e.g. {@link #DEFAULT_TTLS}).
 */
final class Sandbox implements AutoCloseable, ExtensionContext.Store.CloseableResource {
    final Process process;
    final String url;
    final String privatePem;
    final String publicPem;
    private final Path dir;

    private Sandbox(Process process, String url, String privatePem, String publicPem, Path dir) {
        this.process = process;
        this.url = url;
        this.privatePem = privatePem;
        this.publicPem = publicPem;
        this.dir = dir;
    }

    static Sandbox start() throws Exception {
        String bin = Support.env("B2C_SANDBOX", Support.root() + "/target/release/b2c-sandbox");
        Path dir = Files.createTempDirectory("b2c-java-test");
        Path pubPath = dir.resolve("pub.pem");
        String priv;
        String pub;
        try (Key key = Key.generate()) {
            priv = key.privatePem();
            pub = key.publicPem();
        }
        Files.write(pubPath, pub.getBytes(StandardCharsets.UTF_8));
        ProcessBuilder pb = new ProcessBuilder(bin, "--port", "0", "--register", "kid1:42:" + pubPath,
            "--pending-polls", "2", "--error-login", "999999");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        String prefix = "b2c-sandbox listening on ";
        if (line == null || !line.startsWith(prefix)) {
            process.destroyForcibly();
            deleteDir(dir);
            throw new IllegalStateException("sandbox " + bin + " said: " + line);
        }
        // Keep draining stdout so the sandbox never blocks on a full pipe.
        Thread drain = new Thread(() -> {
            try {
                while (r.readLine() != null) {
                    // discard
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "b2c-sandbox-stdout");
        drain.setDaemon(true);
        drain.start();
        String url = line.substring(prefix.length()).trim();
        System.out.println("sandbox at " + url);
        return new Sandbox(process, url, priv, pub, dir);
    }

    /** The sandbox's default B2BINPAY token lifetimes (--b2binpay-access-ttl/-refresh-ttl). */
    static final String DEFAULT_TTLS = "{\"access_s\": 900, \"refresh_s\": 3600}";

    /** Tokens issued from now on are due at once: the next access_token renews them. */
    static final String DUE_AT_ONCE = "{\"access_s\": 0, \"refresh_s\": 3600}";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code POST /_sandbox/ACTION} with a JSON body (null: "{}"); fails unless HTTP 200. */
    String control(String action, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/_sandbox/" + action))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json == null ? "{}" : json, StandardCharsets.UTF_8))
            .build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new AssertionError("POST /_sandbox/" + action + " " + json + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /** The counters of one emulator ("b2copy", "b2binpay", "crm", "retailcrm") from GET /_sandbox/stats. */
    Map<String, Long> stats(String vendor) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/_sandbox/stats")).timeout(Duration.ofSeconds(10))
            .GET().build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new AssertionError("GET /_sandbox/stats: HTTP " + r.statusCode() + " " + r.body());
        }
        // {"b2copy":{"auth_ok":1,...},"b2binpay":{...},...}: flat objects of integers.
        Matcher obj = Pattern.compile("\"" + Pattern.quote(vendor) + "\"\\s*:\\s*\\{([^{}]*)\\}").matcher(r.body());
        if (!obj.find()) {
            throw new AssertionError("no \"" + vendor + "\" in /_sandbox/stats: " + r.body());
        }
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher kv = Pattern.compile("\"([a-z0-9_]+)\"\\s*:\\s*(\\d+)").matcher(obj.group(1));
        while (kv.find()) {
            out.put(kv.group(1), Long.parseLong(kv.group(2)));
        }
        if (out.isEmpty()) {
            throw new AssertionError("no counters for " + vendor + ": " + r.body());
        }
        return out;
    }

    /** after - before, per counter. */
    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            d.put(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return d;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        deleteDir(dir);
    }

    private static void deleteDir(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve("pub.pem"));
        Files.deleteIfExists(dir);
    }
}
