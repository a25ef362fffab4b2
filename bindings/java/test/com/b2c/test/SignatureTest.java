package com.b2c.test;

import static com.b2c.test.Support.expect;
import static com.b2c.test.Support.hmacReference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.b2c.B2c;
import com.b2c.B2cLibrary;
import com.b2c.InvalidArgumentException;
import com.b2c.Signature;
import com.b2c.Status;
import com.sun.jna.Native;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/** Payload signatures (HMAC-SHA256) against javax.crypto.Mac. */
@ExtendWith(LogScanExtension.class)
class SignatureTest {

    @Test
    void rfc4231TestCase2() {
        assertEquals("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            Signature.sign("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)), "RFC 4231 test case 2");
    }

    /** Notes issue 9, point 1 (was: the HMAC under the empty key, sha256=b613679a...). */
    @Test
    void emptyKeyIsInvalidArgument() {
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "empty key and payload",
            () -> Signature.sign(new byte[0], new byte[0]));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "empty key",
            () -> Signature.sign(new byte[0], "payload"));
    }

    @Test
    void emptyPayloadIsFine() throws Exception {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        assertEquals(hmacReference(key, new byte[0]), Signature.sign(key, new byte[0]), "empty payload");
        assertEquals("sha256=5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0",
            Signature.sign("key".getBytes(StandardCharsets.US_ASCII), ""), "HMAC-SHA256(\"key\", \"\")");
    }

    /** Point 1 at the C ABI: an empty key, NULL or not, is refused and nothing is written. */
    @Test
    void rawEmptyKeyWritesNothing() throws Exception {
        B2cLibrary raw = Native.load(B2c.libraryPath(), B2cLibrary.class);
        byte[] payload = "payload".getBytes(StandardCharsets.US_ASCII);
        byte[] untouched = new byte[72];
        Arrays.fill(untouched, (byte) '#');
        byte[][] keys = {null, {'k', 'e', 'y'}}; // NULL, and non-NULL with length 0
        for (byte[] key : keys) {
            byte[] out = untouched.clone();
            int rc = raw.b2c_sign_payload(key, new B2cLibrary.SizeT(0), payload, new B2cLibrary.SizeT(payload.length),
                out, new B2cLibrary.SizeT(out.length));
            String what = key == null ? "NULL key" : "non-NULL key, length 0";
            assertEquals(Status.INVALID_ARGUMENT.code(), rc, what + ": " + B2c.statusString(rc));
            assertArrayEquals(untouched, out, what + ": nothing written");
        }
        // The same buffer with a 1-byte key and an empty (NULL) payload is signed.
        byte[] out = untouched.clone();
        int rc = raw.b2c_sign_payload(new byte[] {'k'}, new B2cLibrary.SizeT(1), null, new B2cLibrary.SizeT(0),
            out, new B2cLibrary.SizeT(out.length));
        assertEquals(0, rc, "1-byte key, NULL empty payload: " + B2c.statusString(rc));
        assertEquals(hmacReference(new byte[] {'k'}, new byte[0]) + "\0",
            new String(out, StandardCharsets.US_ASCII), "signature and NUL");
    }

    @Test
    void randomInputsMatchJavaxCrypto() throws Exception {
        SecureRandom rnd = new SecureRandom();
        int mismatches = 0;
        for (int i = 0; i < 300; i++) {
            byte[] key = new byte[1 + rnd.nextInt(i % 10 == 0 ? 200 : 70)]; // an empty key is refused (above)
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
