<?php

declare(strict_types=1);

namespace B2c;

use FFI;
use FFI\CData;

/**
 * Loads libb2c and holds the FFI instance; small helpers shared by the protocol classes.
 *
 * Two ways in:
 * - PHP-FPM (ffi.enable=preload): preload.php ran FFI::load() with FFI_SCOPE "B2C" at
 *   server start; here FFI::scope("B2C") picks it up.
 * - CLI (or ffi.enable=true): FFI::cdef() with the text of include/b2c.h, unmodified, and
 *   the library from B2C_LIBRARY or the repository's target/release.
 */
final class Library
{
    public const SCOPE = 'B2C';

    private static ?FFI $ffi = null;
    private static string $mode = '';
    private static string $path = '';

    public static function ffi(): FFI
    {
        return self::$ffi ?? self::load();
    }

    /** "scope" (preloaded) or "cdef" (loaded in this request). Loads the library. */
    public static function mode(): string
    {
        self::ffi();
        return self::$mode;
    }

    /** Path of the loaded library ("" when it came from a preloaded scope). */
    public static function path(): string
    {
        self::ffi();
        return self::$path;
    }

    /** The libb2c version, e.g. "0.1.0". */
    public static function version(): string
    {
        return self::ffi()->b2c_version();
    }

    /** Static description of any status number (unknown values included). */
    public static function statusString(int $status): string
    {
        return self::ffi()->b2c_status_str($status);
    }

    /** Default location of include/b2c.h (B2C_HEADER overrides). */
    public static function headerPath(): string
    {
        $env = getenv('B2C_HEADER');
        return ($env !== false && $env !== '') ? $env : dirname(__DIR__, 3) . '/include/b2c.h';
    }

    /** Default location of libb2c (B2C_LIBRARY overrides). */
    public static function libraryPath(): string
    {
        $env = getenv('B2C_LIBRARY');
        if ($env !== false && $env !== '') {
            return $env;
        }
        $name = PHP_OS_FAMILY === 'Darwin' ? 'libb2c.dylib' : (PHP_OS_FAMILY === 'Windows' ? 'b2c.dll' : 'libb2c.so');
        return dirname(__DIR__, 3) . '/target/release/' . $name;
    }

    /** The header text prefixed with the FFI::load() defines (used by preload.php). */
    public static function scopedHeader(string $libraryPath): string
    {
        $header = self::readHeader();
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
            . '#define FFI_LIB "' . addcslashes($libraryPath, "\"\\") . "\"\n"
            . $header;
    }

    private static function readHeader(): string
    {
        $header = self::headerPath();
        $text = is_file($header) ? file_get_contents($header) : false;
        if ($text === false) {
            throw new LibraryNotFoundException(
                "b2c.h not found at $header (set B2C_HEADER to include/b2c.h of the libb2c build)"
            );
        }
        return $text;
    }

    private static function load(): FFI
    {
        try {
            $ffi = FFI::scope(self::SCOPE);
            self::$mode = 'scope';
            return self::$ffi = $ffi;
        } catch (\Throwable) {
            // Not preloaded: load it here.
        }
        $lib = self::libraryPath();
        if (!is_file($lib)) {
            throw new LibraryNotFoundException(
                "libb2c not found at $lib. Build it with `cargo build --release`, set B2C_LIBRARY "
                . 'to its path, or preload it (FFI scope "B2C", see bindings/php/preload.php).'
            );
        }
        try {
            $ffi = FFI::cdef(self::readHeader(), $lib);
        } catch (\FFI\Exception $e) {
            throw new LibraryNotFoundException("could not load libb2c from $lib: " . $e->getMessage(), 0, $e);
        }
        self::$mode = 'cdef';
        self::$path = $lib;
        return self::$ffi = $ffi;
    }

    // ---- helpers for the protocol classes (internal) ----

    /** A fresh `b2c_error *` (NULL) to pass by address. */
    public static function newError(): CData
    {
        return self::ffi()->new('b2c_error*');
    }

    /** Throw the exception for a failed call, freeing the error object. */
    public static function raise(int $status, ?CData $err): never
    {
        throw self::makeException($status, $err);
    }

    public static function makeException(int $status, ?CData $err): B2cException
    {
        $ffi = self::ffi();
        if ($err !== null && !FFI::isNull($err)) {
            try {
                $code = (int) $ffi->b2c_error_status($err);
                $message = (string) $ffi->b2c_error_message($err);
                $http = (int) $ffi->b2c_error_http_status($err);
            } finally {
                $ffi->b2c_error_free($err);
            }
        } else {
            [$code, $message, $http] = [$status, '', 0];
        }
        if ($message === '') {
            $message = self::statusString($code);
        }
        return B2cException::fromStatus($code, $message, $http);
    }

    /**
     * Call `$fn(...$args, &$out, &$err)`, throw on failure, return `$out` as a PHP string
     * (freed with b2c_string_free).
     */
    public static function callString(string $fn, mixed ...$args): string
    {
        $ffi = self::ffi();
        $out = $ffi->new('char*');
        $err = self::newError();
        $st = $ffi->$fn(...[...$args, FFI::addr($out), FFI::addr($err)]);
        if ($st !== 0) {
            self::raise($st, $err);
        }
        return self::takeString($out);
    }

    /** Call `$fn(...$args, &$err)` and throw on failure. */
    public static function callStatus(string $fn, mixed ...$args): void
    {
        $ffi = self::ffi();
        $err = self::newError();
        $st = $ffi->$fn(...[...$args, FFI::addr($err)]);
        if ($st !== 0) {
            self::raise($st, $err);
        }
    }

    /** A verification: true when valid, false on SIGNATURE_INVALID; other failures throw. */
    public static function callVerify(string $fn, mixed ...$args): bool
    {
        $ffi = self::ffi();
        $err = self::newError();
        $st = $ffi->$fn(...[...$args, FFI::addr($err)]);
        if ($st === Status::SIGNATURE_INVALID->value) {
            $ffi->b2c_error_free($err);
            return false;
        }
        if ($st !== 0) {
            self::raise($st, $err);
        }
        return true;
    }

    /** Copy an owned `char *` into a PHP string and free it with b2c_string_free. */
    public static function takeString(CData $ptr): string
    {
        if (FFI::isNull($ptr)) {
            return '';
        }
        try {
            return FFI::string($ptr);
        } finally {
            self::ffi()->b2c_string_free($ptr);
        }
    }
}
