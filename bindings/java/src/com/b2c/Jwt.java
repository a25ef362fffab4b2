package com.b2c;

import com.sun.jna.ptr.PointerByReference;

import java.time.Duration;
import java.util.Objects;

/** B2COPY external tokens (ES256 JWS). */
public final class Jwt {
    private Jwt() {}

    /** Mints a token with issuer "b2c", the default TTL (300 s) and no kid header. */
    public static String mint(Key key, long adminId, String deviceIp, String keyId) {
        return mint(key, adminId, deviceIp, keyId, null, null, false);
    }

    /**
     * Mints a token with claims admin_id, device_ip, key_id, iss, iat, exp.
     *
     * @param adminId   unsigned 64-bit (negative values are passed as their unsigned bits)
     * @param issuer    null for "b2c"
     * @param ttl       null or zero for the default 300 s; whole seconds, at most 2^32-1
     * @param kidHeader add {@code kid = keyId} to the JWS header
     */
    public static String mint(Key key, long adminId, String deviceIp, String keyId, String issuer,
                              Duration ttl, boolean kidHeader) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(deviceIp, "deviceIp");
        Objects.requireNonNull(keyId, "keyId");
        long ttlS = ttl == null ? 0 : ttl.getSeconds();
        if (ttlS < 0 || ttlS > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("ttl out of range: " + ttl);
        }
        return key.use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_jwt_mint(p, adminId, deviceIp, keyId, issuer, (int) ttlS,
                kidHeader ? 1 : 0, out, err), err);
            return Ffi.take(out);
        });
    }
}
