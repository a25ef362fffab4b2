<?php

declare(strict_types=1);

namespace B2c;

/** Library-wide functions: the same names in every binding (b2c.version(), b2c.status_str()). */
final class B2c
{
    private function __construct()
    {
    }

    /** The libb2c version, e.g. "0.1.0" (b2c_version). */
    public static function version(): string
    {
        return Library::ffi()->b2c_version();
    }

    /** The library's static description of any status number, unknown values included (b2c_status_str). */
    public static function statusString(int $status): string
    {
        return Library::ffi()->b2c_status_str($status);
    }
}
