<?php

declare(strict_types=1);

namespace B2c;

use FFI;

/** Payload signatures: `sha256=<hex HMAC-SHA256(key, body)>`. */
final class Signature
{
    private const OUT_LEN = 72; // "sha256=" + 64 hex + NUL

    /**
     * Binary-safe: $key and $body may contain NUL bytes. PHP FFI passes PHP strings only to
     * `char *` parameters, so the bytes are copied into `uint8_t[]` buffers first.
     *
     * An empty $key throws InvalidArgumentException (code Status::INVALID_ARGUMENT: a
     * signature under an empty key authenticates nothing); an empty $body is fine.
     */
    public static function sign(string $key, string $body): string
    {
        $ffi = Library::ffi();
        $kl = strlen($key);
        $bl = strlen($body);
        $k = null;
        $b = null;
        if ($kl > 0) {
            $k = $ffi->new("uint8_t[$kl]");
            FFI::memcpy($k, $key, $kl);
        }
        if ($bl > 0) {
            $b = $ffi->new("uint8_t[$bl]");
            FFI::memcpy($b, $body, $bl);
        }
        $out = $ffi->new('char[' . self::OUT_LEN . ']');
        $st = $ffi->b2c_sign_payload($k, $kl, $b, $bl, $out, self::OUT_LEN);
        if ($st !== 0) {
            Library::raise($st, null);
        }
        return FFI::string($out, self::OUT_LEN - 1);
    }
}
