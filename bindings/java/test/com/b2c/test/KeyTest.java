package com.b2c.test;

import static com.b2c.test.Support.expect;
import static com.b2c.test.Support.publicKeyFromPem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.IoException;
import com.b2c.Key;
import com.b2c.KeyFormatException;
import com.b2c.Status;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** Key generation, PEM round trips, the fixtures under tests/fixtures/keys. */
@ExtendWith(LogScanExtension.class)
class KeyTest {
    static String fixtures() {
        return Support.root() + "/tests/fixtures/keys/";
    }

    @Test
    void generateExportReloadClose() throws Exception {
        try (Key k = Key.generate()) {
            String priv = k.privatePem();
            String pub = k.publicPem();
            assertTrue(priv.startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
            assertTrue(pub.startsWith("-----BEGIN PUBLIC KEY-----"), "SPKI PEM");
            try (Key k2 = Key.fromPem(priv)) {
                assertEquals(pub, k2.publicPem(), "reloaded key has the same public key");
                assertEquals(priv, k2.privatePem(), "reloaded key has the same private PEM");
            }
            // Java can read both
            String b64 = priv.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
            assertEquals("EC", publicKeyFromPem(pub).getAlgorithm(), "SPKI parses in Java");
            k.close();
            assertTrue(k.isClosed(), "closed");
            k.close(); // idempotent
            expect(IllegalStateException.class, null, "use after close", k::publicPem);
        }
    }

    @Test
    void fixturesLoad() {
        try (Key k = Key.fromFile(fixtures() + "p256_pkcs8.pem"); Key k2 = Key.fromFile(Paths.get(fixtures() + "p256_sec1.pem"))) {
            assertTrue(k.publicPem().contains("PUBLIC KEY") && k2.publicPem().contains("PUBLIC KEY"), "fixtures load");
        }
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
        "rsa_pkcs8.pem, KEY_UNSUPPORTED_TYPE",
        "p384_pkcs8.pem, KEY_UNSUPPORTED_CURVE",
        "p256_encrypted_pkcs8.pem, KEY_ENCRYPTED",
        "garbage_pkcs8.pem, KEY_INVALID",
        "ed25519_pkcs8.pem, KEY_UNSUPPORTED_TYPE",
        "not_pem.txt, KEY_INVALID",
    })
    void badFixtures(String file, Status want) throws Exception {
        expect(KeyFormatException.class, want, "fromFile " + file, () -> Key.fromFile(fixtures() + file).close());
        String pem = new String(Files.readAllBytes(Paths.get(fixtures() + file)), StandardCharsets.UTF_8);
        expect(KeyFormatException.class, want, "fromPem " + file, () -> Key.fromPem(pem).close());
    }

    @Test
    void missingKeyFileIsIo() {
        expect(IoException.class, Status.IO, "missing key file", () -> Key.fromFile("/nonexistent/k.pem"));
    }

    @Test
    void emptyPem() {
        expect(KeyFormatException.class, Status.KEY_INVALID, "empty PEM", () -> Key.fromPem(""));
    }
}
