package com.b2c.test;

import com.b2c.Key;

import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A b2c-sandbox process (binary from env B2C_SANDBOX, default
 * {@code <root>/target/release/b2c-sandbox}) with a fresh key registered as
 * {@code kid1:42}, 2 pending polls and error login 999999. Shared by the whole run through
 * {@link SandboxExtension}; {@link #start()} makes a private one.
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
