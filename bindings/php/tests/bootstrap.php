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
