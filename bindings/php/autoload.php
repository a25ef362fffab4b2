<?php

// PSR-4 autoloader for B2c\ without Composer (Composer users get the same from composer.json).
declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'B2c\\') && !str_starts_with($class, 'B2c\\Tests\\')) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, 4)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
