<?php

declare(strict_types=1);

namespace B2c;

use FFI;
use FFI\CData;

/**
 * Loads libb2c and holds the FFI instance; small helpers shared by the protocol classes.
 *
 * Two ways in:
 * - PHP-FPM (ffi.enable=preload): ffi.preload or preload.php declared the FFI scope "B2C" at
 *   server start; here FFI::scope("B2C") picks it up.
 * - CLI (or ffi.enable=true): FFI::cdef() with the package's own header (b2c_ffi.h, which
 *   is include/b2c.h plus two `#define` lines cdef skips; B2C_HEADER overrides it) and the
 *   library from B2C_LIBRARY, else the system dynamic loader: SONAME libb2c.so.0.1, then
 *   libb2c.so.
 */
final class Library
{
    public const SCOPE = 'B2C';

    /** The binding's version; the SONAME asked of the system loader is derived from it. */
    public const BINDING_VERSION = '0.1.0';

    /** Plain name tried after the SONAME. */
    public const PLAIN_NAME = 'libb2c.so';

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

    /**
     * What was loaded: the B2C_LIBRARY path, or the name the system loader resolved
     * (libb2c.so.0.1, libb2c.so); "" when it came from a preloaded scope.
     */
    public static function path(): string
    {
        self::ffi();
        return self::$path;
    }

    /**
     * The SONAME of the libb2c this binding was written for: libb2c.so.0.MINOR before 1.0,
     * libb2c.so.MAJOR from 1.0 on.
     */
    public static function soname(string $version = self::BINDING_VERSION): string
    {
        $parts = explode('.', $version);
        $major = $parts[0];
        $minor = $parts[1] ?? '0';
        return $major === '0' ? "libb2c.so.0.$minor" : "libb2c.so.$major";
    }

    /** The package's own FFI header, shipped next to src/: include/b2c.h plus FFI_SCOPE/FFI_LIB. */
    public static function shippedHeaderPath(): string
    {
        return dirname(__DIR__) . '/b2c_ffi.h';
    }

    /** The header the library is declared with: B2C_HEADER, else the shipped b2c_ffi.h. */
    public static function headerPath(): string
    {
        $env = getenv('B2C_HEADER');
        return ($env !== false && $env !== '') ? $env : self::shippedHeaderPath();
    }

    /**
     * The places tried, in order: the B2C_LIBRARY path alone when it is set (an error when
     * it is not an existing file: no fall-back), else the SONAME, then libb2c.so, for the
     * system dynamic loader.
     *
     * @return list<string>
     */
    public static function candidates(): array
    {
        $env = getenv('B2C_LIBRARY');
        if ($env !== false && $env !== '') {
            if (!is_file($env)) {
                throw new LibraryNotFoundException(
                    "B2C_LIBRARY is set to '$env', which is not an existing file. Set it to the path of "
                    . 'libb2c.so, or unset it to use the system library (' . self::soname() . ').'
                );
            }
            return [(string) realpath($env)];
        }
        return [self::soname(), self::PLAIN_NAME];
    }

    /**
     * The header text for FFI::load()/ffi.preload: the FFI_SCOPE and FFI_LIB defines, then
     * $header (default: the text of headerPath()) without any FFI_SCOPE/FFI_LIB lines it has.
     */
    public static function scopedHeader(string $library, ?string $header = null): string
    {
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
            . '#define FFI_LIB "' . addcslashes($library, "\"\\") . "\"\n"
            . self::stripFfiDefines($header ?? self::readHeader());
    }

    /** $text without its `#define FFI_SCOPE` / `#define FFI_LIB` lines (b2c_ffi.h -> include/b2c.h). */
    public static function stripFfiDefines(string $text): string
    {
        return (string) preg_replace('/^[ \t]*#[ \t]*define[ \t]+FFI_(?:SCOPE|LIB)\b[^\n]*\n?/m', '', $text);
    }

    /** The text of headerPath(). */
    public static function readHeader(): string
    {
        $header = self::headerPath();
        $text = is_file($header) ? file_get_contents($header) : false;
        if ($text === false) {
            throw new LibraryNotFoundException(
                "the libb2c header was not found at $header (B2C_HEADER overrides the package's own b2c_ffi.h)"
            );
        }
        return $text;
    }

    /**
     * Declare the FFI scope "B2C" with FFI::load() (for preload.php), trying candidates() in
     * order. Returns what was loaded.
     */
    public static function declareScope(): string
    {
        $candidates = self::candidates();
        $tried = self::triedBefore();
        self::prepareLoaderError();
        foreach ($candidates as $lib) {
            $ffi = null;
            $error = null;
            // FFI::load() warns and returns null in a preload script, throws elsewhere; a
            // failed first candidate is reported below (with the rest) only if all fail.
            try {
                if (in_array(getenv('B2C_HEADER'), [false, ''], true) && $lib === self::soname() && self::shippedNames($lib)) {
                    // The shipped header already says FFI_LIB "libb2c.so.0.1": load it as is.
                    $ffi = @FFI::load(self::shippedHeaderPath());
                } else {
                    $tmp = tempnam(sys_get_temp_dir(), 'b2c_ffi_');
                    try {
                        file_put_contents($tmp, self::scopedHeader($lib));
                        $ffi = @FFI::load($tmp);
                    } finally {
                        @unlink($tmp);
                    }
                }
            } catch (\FFI\Exception $e) {
                $error = $e->getMessage();
            }
            if ($ffi !== null) {
                return $lib;
            }
            $tried[] = self::place($lib) . ': ' . self::loaderError($error ?? 'FFI::load failed');
        }
        throw new LibraryNotFoundException('b2c preload: libb2c not found. Tried, in order: ' . self::triedText($tried));
    }

    private static function shippedNames(string $lib): bool
    {
        $text = @file_get_contents(self::shippedHeaderPath());
        return $text !== false && str_contains($text, '#define FFI_LIB "' . $lib . '"');
    }

    private static function load(): FFI
    {
        try {
            $ffi = FFI::scope(self::SCOPE);
            self::$mode = 'scope';
            return self::$ffi = self::loaded($ffi);
        } catch (\Throwable) {
            // Not preloaded: load it here.
        }
        $candidates = self::candidates();
        $header = self::readHeader();
        $tried = self::triedBefore();
        self::prepareLoaderError();
        foreach ($candidates as $lib) {
            try {
                $ffi = FFI::cdef($header, $lib);
            } catch (\FFI\Exception $e) {
                $tried[] = self::place($lib) . ': ' . self::loaderError($e->getMessage());
                continue;
            }
            self::$mode = 'cdef';
            self::$path = $lib;
            self::pin($lib);
            return self::$ffi = self::loaded($ffi);
        }
        throw new LibraryNotFoundException(
            'libb2c not found. Tried, in order: ' . self::triedText($tried) . '. Set B2C_LIBRARY to the '
            . 'path of libb2c.so, install libb2c system-wide (make install && ldconfig), or preload it '
            . '(FFI scope "B2C", see bindings/php/README.md).'
        );
    }

    /**
     * The library was loaded in this request: remove any process-wide log callback a previous
     * request left (PHP-FPM keeps the library loaded; LogRouting removes it at request
     * shutdown, but a shutdown function that exits would skip that). PHP installs no logger
     * by default.
     */
    private static function loaded(FFI $ffi): FFI
    {
        try {
            $ffi->b2c_set_log_callback(null, null, 0, null);
        } catch (\FFI\Exception) {
            // a scope declared from an older header: nothing to remove
        }
        return $ffi;
    }

    /** @return list<string> the first entry of a not-found message */
    private static function triedBefore(): array
    {
        return in_array(getenv('B2C_LIBRARY'), [false, ''], true) ? ['B2C_LIBRARY: unset'] : [];
    }

    private static function place(string $lib): string
    {
        return str_contains($lib, '/') ? "B2C_LIBRARY $lib" : "the system dynamic loader, $lib";
    }

    /** @param list<string> $tried */
    private static function triedText(array $tried): string
    {
        $out = [];
        foreach ($tried as $i => $t) {
            $out[] = '(' . ($i + 1) . ") $t";
        }
        return implode('; ', $out);
    }

    private static ?FFI $dl = null;

    /** dlopen() flags (glibc and musl): RTLD_LAZY | RTLD_NODELETE. */
    private const RTLD_LAZY_NODELETE = 0x0001 | 0x1000;

    /**
     * Keep the library loaded for the life of the process (dlopen with RTLD_NODELETE): the
     * FFI object of FFI::cdef() unloads it when it is freed at the end of the request, and
     * under PHP-FPM with ffi.enable=true that would drop the process-wide state the library
     * keeps for the worker's next requests (the shared clients of Client::shared()). A
     * preloaded scope (FFI::scope) stays loaded anyway.
     */
    private static function pin(string $lib): void
    {
        try {
            FFI::cdef('void *dlopen(const char *filename, int flags);')->dlopen($lib, self::RTLD_LAZY_NODELETE);
        } catch (\Throwable) {
            // no dlopen to call: the library is reloaded per request (shared clients then last one request)
        }
    }

    /**
     * Bind dlerror() before a load attempt: binding it after one would run dlsym, which
     * clears the error to be read.
     */
    private static function prepareLoaderError(): void
    {
        try {
            self::$dl ??= FFI::cdef('const char *dlerror(void);');
        } catch (\Throwable) {
        }
    }

    /** The dynamic loader's own reason (dlerror) for a failed load, else FFI's message. */
    private static function loaderError(string $fallback): string
    {
        $why = '';
        try {
            $msg = self::$dl?->dlerror();
            $why = is_string($msg) ? $msg : '';
        } catch (\Throwable) {
        }
        return $why !== '' ? $why : $fallback;
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
            // No error object (b2c_sign_payload, b2c_b2binpay_counters): the status's own text.
            $message = B2c::statusString($code);
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

    /**
     * A generic call (Client::call(), B2binpay::call(), Crm::call()): `$plain` (b2c_*_call)
     * when every option is the default, else `$with` (b2c_*_call_with) with a
     * b2c_call_options (idempotent and raw_body: null 0 = default, true 1, false 2).
     * Every final HTTP answer is a Response; a failure throws.
     */
    public static function call(
        string $plain,
        string $with,
        CData $handle,
        string $method,
        string $path,
        ?string $body,
        ?bool $idempotent,
        ?bool $raw = null,
    ): Response {
        self::cString($method, 'method');
        self::cString($path, 'path');
        $ffi = self::ffi();
        $status = $ffi->new('int32_t');
        $out = $ffi->new('char*');
        $err = self::newError();
        $len = $body === null ? 0 : strlen($body);
        if ($idempotent === null && $raw === null) {
            $st = $ffi->$plain($handle, $method, $path, $body, $len, FFI::addr($status), FFI::addr($out), FFI::addr($err));
        } else {
            $options = $ffi->new('b2c_call_options');
            $options->struct_size = FFI::sizeof($options);
            $options->idempotent = self::tri($idempotent);
            $options->raw_body = self::tri($raw);
            $st = $ffi->$with($handle, $method, $path, $body, $len, FFI::addr($options), FFI::addr($status), FFI::addr($out), FFI::addr($err));
        }
        if ($st !== 0) {
            self::raise($st, $err);
        }
        return new Response((int) $status->cdata, self::takeString($out));
    }

    /** A b2c_call_options field: null 0 (default), true 1, false 2. */
    private static function tri(?bool $v): int
    {
        return $v === null ? 0 : ($v ? 1 : 2);
    }

    /**
     * $value for a NUL-terminated `const char *` parameter: a PHP string holding a NUL byte
     * would reach C cut short at it (a method "GET\0..." read as "GET", a path or a secret
     * shortened), so it throws InvalidArgumentException (code INVALID_ARGUMENT) instead.
     */
    public static function cString(string $value, string $what): string
    {
        if (str_contains($value, "\0")) {
            throw new InvalidArgumentException("$what contains a NUL byte", Status::INVALID_ARGUMENT->value);
        }
        return $value;
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
