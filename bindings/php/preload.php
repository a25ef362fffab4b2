<?php

/*
 * opcache preload script for PHP-FPM with ffi.enable=preload (php.ini lines in README.md).
 *
 * 1. The libb2c ABI must exist as the FFI scope "B2C". If php.ini already declares it with
 *    `ffi.preload=/path/to/b2c_ffi.h` (required when FPM starts as root and uses
 *    opcache.preload_user: PHP forbids FFI::load() there), nothing is done. Otherwise it is
 *    declared here with FFI::load() on a header generated from include/b2c.h into a
 *    temporary file (FFI::load needs `#define FFI_SCOPE` / `#define FFI_LIB` in the file),
 *    with FFI_LIB = B2C_LIBRARY from the environment, else the repository's
 *    target/release/libb2c.so.
 * 2. Every B2c\ class is preloaded. At run time B2c\Library finds the scope with
 *    FFI::scope("B2C").
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

(static function (): void {
    $scoped = false;
    try {
        FFI::scope(B2c\Library::SCOPE);
        $scoped = true; // declared by ffi.preload
    } catch (Throwable) {
    }
    if (!$scoped) {
        $lib = B2c\Library::libraryPath();
        if (!is_file($lib)) {
            throw new B2c\LibraryNotFoundException("b2c preload: libb2c not found at $lib (set B2C_LIBRARY)");
        }
        $tmp = tempnam(sys_get_temp_dir(), 'b2c_ffi_');
        try {
            file_put_contents($tmp, B2c\Library::scopedHeader((string) realpath($lib)));
            if (FFI::load($tmp) === null) {
                throw new B2c\LibraryNotFoundException("b2c preload: FFI::load failed for $lib");
            }
        } finally {
            @unlink($tmp);
        }
    }
    foreach (glob(__DIR__ . '/src/*.php') as $file) {
        $name = 'B2c\\' . basename($file, '.php');
        class_exists($name) || interface_exists($name) || enum_exists($name);
    }
})();
