<?php

// No Composer: the package's own PSR-4 autoloader plus one for the test helpers.
declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'B2c\\Tests\\')) {
        $file = __DIR__ . '/' . substr($class, strlen('B2c\\Tests\\')) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

// The secret scan (B2C_SCAN_DIR): every log record of the whole suite, at debug, goes to
// $B2C_SCAN_DIR/php-log-events.log (tests that install their own logger restore this one).
if (B2c\Tests\ScanLog::path() !== null) {
    B2c\Tests\ScanLog::restore();
}
