<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\B2c;
use B2c\Library;
use PHPUnit\Framework\TestCase;

/**
 * The package as an application gets it: a fresh Composer project in a temporary directory
 * requiring b2c/b2c through a path repository (a copy of bindings/php, mirrored, not
 * symlinked), Packagist disabled and the network off, so `composer install` works offline.
 */
final class ComposerTest extends TestCase
{
    private static string $tmp = '';

    public static function setUpBeforeClass(): void
    {
        self::$tmp = sys_get_temp_dir() . '/b2c_composer_' . bin2hex(random_bytes(6));
        mkdir(self::$tmp, 0755);
        // A copy of the package, without anything a developer's checkout may have added.
        self::copyTree(dirname(__DIR__), self::$tmp . '/pkg', ['vendor', 'composer.lock']);
        mkdir(self::$tmp . '/app', 0755);
        file_put_contents(self::$tmp . '/app/composer.json', json_encode([
            'name' => 'b2c-test/app',
            'description' => 'an application using b2c/b2c',
            'type' => 'project',
            'license' => 'proprietary',
            'require' => ['b2c/b2c' => '^' . implode('.', array_slice(explode('.', Library::BINDING_VERSION), 0, 2))],
            'repositories' => [
                ['packagist.org' => false],
                ['type' => 'path', 'url' => '../pkg', 'options' => [
                    'symlink' => false,
                    'versions' => ['b2c/b2c' => Library::BINDING_VERSION],
                ]],
            ],
        ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
        file_put_contents(self::$tmp . '/app/run.php', <<<'PHP'
            <?php
            require __DIR__ . '/vendor/autoload.php';
            echo B2c\B2c::version(), "\n", B2c\Library::headerPath(), "\n", B2c\Library::path(), "\n";
            PHP);
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$tmp !== '' && is_dir(self::$tmp)) {
            self::removeTree(self::$tmp);
        }
    }

    /** @param list<string> $skip names left out at the top level */
    private static function copyTree(string $from, string $to, array $skip = []): void
    {
        mkdir($to, 0755, true);
        foreach (scandir($from) as $name) {
            if ($name === '.' || $name === '..' || in_array($name, $skip, true)) {
                continue;
            }
            $src = "$from/$name";
            if (is_dir($src) && !is_link($src)) {
                self::copyTree($src, "$to/$name");
            } else {
                copy($src, "$to/$name");
                chmod("$to/$name", fileperms($src) & 0777);
            }
        }
    }

    private static function removeTree(string $dir): void
    {
        foreach (scandir($dir) as $name) {
            if ($name === '.' || $name === '..') {
                continue;
            }
            $p = "$dir/$name";
            is_dir($p) && !is_link($p) ? self::removeTree($p) : unlink($p);
        }
        rmdir($dir);
    }

    /**
     * @param list<string> $cmd
     * @param array<string, string> $env
     * @param list<string> $unset
     * @return array{int, string}
     */
    private static function exec(array $cmd, string $cwd, array $env = [], array $unset = []): array
    {
        $base = array_diff_key(getenv(), array_flip(array_merge(['B2C_HEADER'], $unset)));
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, array_merge($base, $env));
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $rc = proc_close($p);
        return [$rc, trim($out . ($err !== '' ? "\n$err" : ''))];
    }

    /** @return array<string, string> Composer kept offline and away from the user's own settings */
    private static function composerEnv(): array
    {
        return [
            'COMPOSER_HOME' => self::$tmp . '/composer-home',
            'COMPOSER_CACHE_DIR' => self::$tmp . '/composer-cache',
            'COMPOSER_DISABLE_NETWORK' => '1',
            'COMPOSER_NO_INTERACTION' => '1',
            'COMPOSER_ALLOW_SUPERUSER' => '1',
        ];
    }

    private static function composer(): string
    {
        $bin = trim((string) shell_exec('command -v composer'));
        if ($bin === '') {
            self::fail('composer is not installed (Debian package "composer")');
        }
        return $bin;
    }

    public function testComposerJsonIsValid(): void
    {
        [$rc, $out] = self::exec([self::composer(), 'validate', '--strict', '--no-check-publish'], self::$tmp . '/pkg', self::composerEnv());
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('is valid', $out);
    }

    /** @depends testComposerJsonIsValid */
    public function testComposerInstallOffline(): void
    {
        [$rc, $out] = self::exec([self::composer(), 'install', '--no-progress'], self::$tmp . '/app', self::composerEnv());
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('Installing b2c/b2c (' . Library::BINDING_VERSION . ')', $out);
        $vendor = self::$tmp . '/app/vendor/b2c/b2c';
        $this->assertFalse(is_link($vendor), 'mirrored, not symlinked');
        $this->assertFileExists("$vendor/b2c_ffi.h");
        $this->assertFileEquals(dirname(__DIR__) . '/b2c_ffi.h', "$vendor/b2c_ffi.h");
    }

    /** @depends testComposerInstallOffline */
    public function testAppCallsVersionWithB2cLibrary(): void
    {
        [$rc, $out] = self::exec([PHP_BINARY, 'run.php'], self::$tmp . '/app', ['B2C_LIBRARY' => Library::path()]);
        $this->assertSame(0, $rc, $out);
        // The header is the installed package's own, not the repository's.
        $this->assertSame([B2c::version(), self::$tmp . '/app/vendor/b2c/b2c/b2c_ffi.h', Library::path()], explode("\n", $out));
    }

    /** @depends testComposerInstallOffline */
    public function testAppWithTheSystemLibrary(): void
    {
        // A system install (make install + ldconfig), emulated: the SONAME on LD_LIBRARY_PATH.
        $lib = self::$tmp . '/lib';
        @mkdir($lib, 0755);
        @symlink(Library::path(), "$lib/" . Library::soname());
        [$rc, $out] = self::exec([PHP_BINARY, 'run.php'], self::$tmp . '/app', ['LD_LIBRARY_PATH' => $lib], ['B2C_LIBRARY']);
        $this->assertSame(0, $rc, $out);
        $this->assertSame([B2c::version(), self::$tmp . '/app/vendor/b2c/b2c/b2c_ffi.h', Library::soname()], explode("\n", $out));
    }

    /** @depends testComposerInstallOffline */
    public function testInstalledHeaderGenerator(): void
    {
        // vendor/bin/b2c-ffi-header.php: the installed package regenerates its header (with
        // another FFI_LIB for a library outside the loader's path).
        $app = self::$tmp . '/app';
        [$rc, $out] = self::exec([PHP_BINARY, 'vendor/bin/b2c-ffi-header.php'], $app);
        $this->assertSame(0, $rc, $out);
        $this->assertSame(file_get_contents("$app/vendor/b2c/b2c/b2c_ffi.h"), $out . "\n");
        [$rc, $out] = self::exec([PHP_BINARY, 'vendor/bin/b2c-ffi-header.php', '/opt/b2c/lib/libb2c.so'], $app);
        $this->assertSame(0, $rc, $out);
        $this->assertStringStartsWith("#define FFI_SCOPE \"B2C\"\n#define FFI_LIB \"/opt/b2c/lib/libb2c.so\"\n/*", $out);
    }
}
