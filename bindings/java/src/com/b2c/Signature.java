package com.b2c;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Payload signatures: {@code sha256=<hex HMAC-SHA256(key, payload)>}. */
public final class Signature {
    private Signature() {}

    /** Length of a signature string ("sha256=" + 64 hex digits). */
    public static final int LENGTH = 71;

    /**
     * {@code sha256=<hex HMAC-SHA256(key, payload)>}. An empty payload is fine; an empty key is
     * an {@link InvalidArgumentException} (INVALID_ARGUMENT): a signature under an empty key
     * authenticates nothing.
     */
    public static String sign(byte[] key, byte[] payload) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(payload, "payload");
        byte[] out = new byte[LENGTH + 1];
        int rc = Ffi.lib().b2c_sign_payload(key, new B2cLibrary.SizeT(key.length), payload,
            new B2cLibrary.SizeT(payload.length), out, new B2cLibrary.SizeT(out.length));
        // b2c_sign_payload has no error object: build the exception from the status alone.
        Ffi.check(rc, null);
        return new String(out, 0, LENGTH, StandardCharsets.US_ASCII);
    }

    /** Signs the UTF-8 bytes of {@code payload} (the same rules as {@link #sign(byte[], byte[])}). */
    public static String sign(byte[] key, String payload) {
        return sign(key, payload.getBytes(StandardCharsets.UTF_8));
    }
}
