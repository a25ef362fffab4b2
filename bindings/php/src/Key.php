<?php

declare(strict_types=1);

namespace B2c;

use FFI;
use FFI\CData;

/**
 * A P-256 private key held by libb2c (its memory is cleansed when freed).
 * Key::generate(), Key::fromPem($pem), Key::fromFile($path); close() or the destructor frees it.
 */
final class Key
{
    use NativeHandle;

    private const KIND = 'Key';
    private const FREE_FUNCTION = 'b2c_key_free';


    private function __construct(CData $ptr)
    {
        $this->ptr = $ptr;
    }

    /** A new random P-256 key pair. */
    public static function generate(): self
    {
        $ffi = Library::ffi();
        $out = $ffi->new('b2c_key*');
        $err = Library::newError();
        $st = $ffi->b2c_key_generate(FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return new self($out);
    }

    /** Load a PKCS#8 or SEC1 PEM private key (throws KeyFormatException for the bad forms). */
    public static function fromPem(string $pem): self
    {
        $ffi = Library::ffi();
        $out = $ffi->new('b2c_key*');
        $err = Library::newError();
        $st = $ffi->b2c_key_from_pem($pem, strlen($pem), FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return new self($out);
    }

    /** Load a PEM private key file (throws IoException or KeyFormatException). */
    public static function fromFile(string $path): self
    {
        $ffi = Library::ffi();
        $out = $ffi->new('b2c_key*');
        $err = Library::newError();
        $st = $ffi->b2c_key_from_file($path, FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return new self($out);
    }

    /** The private key as PKCS#8 PEM. */
    public function privatePem(): string
    {
        return $this->pem('b2c_key_private_pem');
    }

    /** The public key as SPKI PEM (BEGIN PUBLIC KEY), the form B2COPY registers. */
    public function publicPem(): string
    {
        return $this->pem('b2c_key_public_pem');
    }

    private function pem(string $fn): string
    {
        $ffi = Library::ffi();
        $out = $ffi->new('char*');
        $err = Library::newError();
        $st = $ffi->$fn($this->handle(), FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return Library::takeString($out);
    }

    /** Keys never show their material. */
    public function __debugInfo(): array
    {
        return ['key' => $this->ptr === null ? 'closed' : 'P-256 (redacted)'];
    }

    public function __serialize(): array
    {
        throw new \LogicException('B2c\Key cannot be serialized');
    }
}
