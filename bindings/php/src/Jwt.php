<?php

declare(strict_types=1);

namespace B2c;

use FFI;

/** B2COPY external tokens. */
final class Jwt
{
    /**
     * Mint an external token: ES256 JWS with claims admin_id, device_ip, key_id, iss, iat,
     * exp = iat + ttl. $key is a Key or a PEM string; $issuer null means "b2c".
     */
    public static function mint(
        Key|string $key,
        int $adminId,
        string $deviceIp,
        string $keyId,
        ?string $issuer = null,
        int $ttl = 300,
        bool $kidHeader = false,
    ): string {
        if ($adminId < 0) {
            throw new InvalidArgumentException("adminId out of range: $adminId", Status::INVALID_ARGUMENT->value);
        }
        if ($ttl < 0 || $ttl > 0xFFFFFFFF) {
            throw new InvalidArgumentException("ttl out of range: $ttl", Status::INVALID_ARGUMENT->value);
        }
        $owned = is_string($key);
        $k = $owned ? Key::fromPem($key) : $key;
        try {
            $ffi = Library::ffi();
            $out = $ffi->new('char*');
            $err = Library::newError();
            $st = $ffi->b2c_jwt_mint(
                $k->handle(),
                $adminId,
                $deviceIp,
                $keyId,
                $issuer,
                $ttl,
                $kidHeader ? 1 : 0,
                FFI::addr($out),
                FFI::addr($err),
            );
        } finally {
            if ($owned) {
                $k->close();
            }
        }
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return Library::takeString($out);
    }
}
