#!/usr/bin/env php
<?php

/*
 * Print the FFI::load()/ffi.preload header of libb2c: the two defines FFI needs
 * (FFI_SCOPE "B2C", FFI_LIB) followed by the C header unmodified.
 *
 *   B2C_HEADER=include/b2c.h php bindings/php/bin/b2c-ffi-header.php > bindings/php/b2c_ffi.h
 *   php vendor/b2c/b2c/bin/b2c-ffi-header.php /opt/b2c/lib/libb2c.so > /etc/php/b2c_ffi.h
 *
 * The C header is B2C_HEADER (the repository's include/b2c.h when regenerating the shipped
 * file), else the package's own b2c_ffi.h with its FFI_SCOPE/FFI_LIB lines replaced.
 * LIBRARY defaults to the SONAME, "libb2c.so.0.1" (found by the system dynamic loader
 * through ld.so.cache / LD_LIBRARY_PATH); pass an absolute path for a library outside the
 * search path. The shipped bindings/php/b2c_ffi.h is this script's output from
 * include/b2c.h with the default; scripts/test-php.sh regenerates and diffs it so it cannot
 * drift from include/b2c.h.
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

$lib = $argv[1] ?? B2c\Library::soname();
try {
    fwrite(STDOUT, B2c\Library::scopedHeader($lib));
} catch (B2c\LibraryNotFoundException $e) {
    fwrite(STDERR, 'b2c-ffi-header: ' . $e->getMessage() . "\n");
    exit(1);
}
