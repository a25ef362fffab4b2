package com.b2c.test;

import static com.b2c.test.Support.hmacReference;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.b2c.Signature;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/** Payload signatures (HMAC-SHA256) against javax.crypto.Mac. */
class SignatureTest {

    @Test
    void rfc4231TestCase2() {
        assertEquals("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            Signature.sign("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)), "RFC 4231 test case 2");
    }

    @Test
    void emptyKeyAndPayload() {
        assertEquals("sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
            Signature.sign(new byte[0], new byte[0]), "empty key and payload");
    }

    @Test
    void randomInputsMatchJavaxCrypto() throws Exception {
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
        assertEquals(0, mismatches, "300 random HMACs match javax.crypto.Mac");
    }

    @Test
    void nulInPayload() throws Exception {
        assertEquals(hmacReference("k".getBytes(StandardCharsets.UTF_8), new byte[] {'a', 0, 'b'}),
            Signature.sign("k".getBytes(StandardCharsets.UTF_8), "a\0b"), "NUL in payload");
    }
}
