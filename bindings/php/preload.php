<?php

/*
 * opcache preload script for PHP-FPM with ffi.enable=preload (php.ini lines in README.md).
 *
 * 1. The libb2c ABI must exist as the FFI scope "B2C". If php.ini already declares it with
 *    `ffi.preload=/path/to/b2c_ffi.h` (required when FPM starts as root and uses
 *    opcache.preload_user: PHP forbids FFI::load() there), nothing is done. Otherwise it is
 *    declared here with FFI::load() (B2c\Library::declareScope()), the library found as at
 *    run time: B2C_LIBRARY from the master's environment, else the system dynamic loader
 *    by SONAME (libb2c.so.0.1: the package's own b2c_ffi.h is loaded as it is), then
 *    libb2c.so. The header is the package's own b2c_ffi.h (B2C_HEADER overrides it).
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
        B2c\Library::declareScope();
    }
    foreach (glob(__DIR__ . '/src/*.php') as $file) {
        $name = 'B2c\\' . basename($file, '.php');
        class_exists($name) || interface_exists($name) || enum_exists($name);
    }
})();
