package com.b2c.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.b2c.B2cException;
import com.b2c.Status;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Helpers shared by the test classes. */
final class Support {
    private Support() {}

    interface Body {
        void run() throws Exception;
    }

    /**
     * Expects {@code body} to throw {@code type} (or a subclass); with a {@code status}, also
     * that it is a B2cException with that status and a non-empty message. Returns it.
     */
    static <T extends Throwable> T expect(Class<T> type, Status status, String what, Body body) {
        Throwable thrown = null;
        try {
            body.run();
        } catch (Throwable t) {
            thrown = t;
        }
        if (thrown == null) {
            fail(what + ": no exception");
        }
        T t = assertInstanceOf(type, thrown, what + ": got " + thrown);
        if (status != null && t instanceof B2cException) {
            B2cException b = (B2cException) t;
            assertEquals(status, b.status(), what + ": status");
            assertNotNull(b.getMessage(), what + ": null message");
            assertFalse(b.getMessage().isEmpty(), what + ": empty message");
        }
        return t;
    }

    /** The repository root (env B2C_ROOT, default "."). */
    static String root() {
        String r = System.getenv("B2C_ROOT");
        return r != null && !r.isEmpty() ? r : ".";
    }

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v != null && !v.isEmpty() ? v : dflt;
    }

    // ---- HMAC

    static String hmacReference(byte[] key, byte[] payload) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        // SecretKeySpec rejects empty keys; HMAC with an empty key equals HMAC with one zero
        // byte (keys are zero-padded to the block size).
        mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
        byte[] d = mac.doFinal(payload);
        StringBuilder sb = new StringBuilder("sha256=");
        for (byte b : d) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    // ---- keys and JWTs

    static PublicKey publicKeyFromPem(String pem) throws Exception {
        String b64 = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    static byte[] b64url(String s) {
        return Base64.getUrlDecoder().decode(s);
    }

    /** JWS ES256 raw r||s (64 bytes) to ASN.1 DER for java.security.Signature. */
    static byte[] rawToDer(byte[] raw) {
        ByteArrayOutputStream seq = new ByteArrayOutputStream();
        for (int half = 0; half < 2; half++) {
            byte[] n = new BigInteger(1, Arrays.copyOfRange(raw, half * 32, half * 32 + 32)).toByteArray();
            seq.write(0x02);
            seq.write(n.length);
            seq.write(n, 0, n.length);
        }
        byte[] body = seq.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.write(body.length); // at most 2 * (2 + 33) = 70 < 128
        out.write(body, 0, body.length);
        return out.toByteArray();
    }

    static boolean verifyJwt(String jwt, PublicKey pub) throws Exception {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            return false;
        }
        byte[] sig = b64url(parts[2]);
        if (sig.length != 64) {
            return false;
        }
        java.security.Signature v = java.security.Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        return v.verify(rawToDer(sig));
    }

    // ---- client configuration

    static Map<String, Object> config(String url, String pem) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base_url", url);
        m.put("admin_id", 42);
        m.put("device_ip", "127.0.0.1");
        m.put("key_id", "kid1");
        m.put("private_key_pem", pem);
        m.put("poll_interval_ms", 20);
        return m;
    }

    static final String MODULE = "{\"code\":\"b2c-java\",\"integrationCode\":\"b2c\",\"active\":true,\"name\":\"B2C\","
        + "\"clientId\":\"client-1\",\"baseUrl\":\"https://m.example.com\",\"accountUrl\":\"https://m.example.com/account\"}";
}
