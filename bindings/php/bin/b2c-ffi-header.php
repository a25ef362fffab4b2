<?php

/*
 * Print the FFI::load()/ffi.preload header of libb2c: the two defines FFI needs
 * (FFI_SCOPE "B2C", FFI_LIB) followed by include/b2c.h unmodified.
 *
 *   php bindings/php/bin/b2c-ffi-header.php [LIBRARY] > b2c_ffi.h
 *
 * LIBRARY defaults to "libb2c.so" (found by dlopen through ld.so.conf / LD_LIBRARY_PATH);
 * pass an absolute path for a library outside the search path. The shipped
 * bindings/php/b2c_ffi.h is this script's output with the default; scripts/test-php.sh
 * regenerates and diffs it so it cannot drift from include/b2c.h.
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

$lib = $argv[1] ?? 'libb2c.so';
fwrite(STDOUT, B2c\Library::scopedHeader($lib));
