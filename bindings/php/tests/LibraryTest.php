<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\B2cException;
use B2c\FeeStatus;
use B2c\Library;
use B2c\NetworkException;
use B2c\Status;
use B2c\TimeoutException;
use PHPUnit\Framework\TestCase;

final class LibraryTest extends TestCase
{
    private static function header(): string
    {
        return file_get_contents(Sandbox::repo() . '/include/b2c.h');
    }

    public function testVersionMatchesCargoToml(): void
    {
        preg_match('/^version = "([^"]+)"/m', file_get_contents(Sandbox::repo() . '/Cargo.toml'), $m);
        $this->assertSame($m[1], Library::version());
    }

    public function testStatusEnumsMirrorHeader(): void
    {
        preg_match('/typedef enum \{(.*?)\} b2c_status;/s', self::header(), $m);
        $body = preg_replace('#/\*.*?\*/#s', '', $m[1]);
        preg_match_all('/B2C_(\w+)\s*=\s*(\d+)/', $body, $all, PREG_SET_ORDER);
        $inHeader = [];
        foreach ($all as [, $name, $value]) {
            $inHeader[$name] = (int) $value;
        }
        $inPhp = [];
        foreach (Status::cases() as $c) {
            $inPhp[$c->name] = $c->value;
        }
        $this->assertSame($inHeader, $inPhp);

        preg_match('/typedef enum \{(.*?)\} b2c_fee_status;/s', self::header(), $m);
        preg_match_all('/B2C_FEE_STATUS_(\w+)\s*=\s*(\d+)/', $m[1], $all, PREG_SET_ORDER);
        $this->assertSame(array_map(fn ($x) => $x[1], $all), array_map(fn ($c) => $c->name, FeeStatus::cases()));
    }

    public function testEveryExportedFunctionIsWrapped(): void
    {
        preg_match_all('/\b(b2c_\w+)\s*\(/', self::header(), $m);
        $src = implode("\n", array_map('file_get_contents', glob(dirname(__DIR__) . '/src/*.php')));
        foreach (array_unique($m[1]) as $fn) {
            if ($fn === 'b2c_progress_cb') {
                continue;
            }
            $this->assertStringContainsString("$fn", $src, "$fn is not wrapped by any class in bindings/php/src");
        }
    }

    public function testEveryStatusHasAnExceptionFamily(): void
    {
        foreach (Status::cases() as $s) {
            if ($s === Status::OK) {
                continue;
            }
            $class = B2cException::classFor($s->value);
            $this->assertNotSame(B2cException::class, $class, "{$s->name} has no family");
            $this->assertTrue(is_subclass_of($class, B2cException::class));
            $e = B2cException::fromStatus($s->value, 'm', 503);
            $this->assertSame($s->value, $e->getCode());
            $this->assertSame(503, $e->httpStatus);
            $this->assertSame($s, $e->status());
        }
        $this->assertSame(TimeoutException::class, B2cException::classFor(Status::TIMEOUT->value));
        $this->assertTrue(is_subclass_of(TimeoutException::class, NetworkException::class));
        $this->assertSame(B2cException::class, B2cException::classFor(777));
        $this->assertNull(B2cException::fromStatus(777, 'm')->status());
    }

    public function testStatusStrings(): void
    {
        $this->assertSame('unknown status', Library::statusString(12345));
        $this->assertNotSame('', Status::KEY_ENCRYPTED->describe());
    }

    public function testShippedFfiHeaderMatchesGenerator(): void
    {
        $shipped = file_get_contents(dirname(__DIR__) . '/b2c_ffi.h');
        $this->assertSame(Library::scopedHeader('libb2c.so'), $shipped, 'regenerate: php bindings/php/bin/b2c-ffi-header.php > bindings/php/b2c_ffi.h');
    }

    private static function php(array $ini, string $code, array $env = [], ?string $user = null): array
    {
        $script = tempnam(sys_get_temp_dir(), 'b2c_t_');
        file_put_contents($script, "<?php\nrequire '" . dirname(__DIR__) . "/autoload.php';\n" . $code);
        chmod($script, 0644);
        $cmd = [PHP_BINARY, '-n'];
        foreach (array_merge(['extension' => 'ffi'], $ini) as $k => $v) {
            array_push($cmd, '-d', "$k=$v");
        }
        $cmd[] = $script;
        if ($user !== null) {
            $cmd = array_merge(['runuser', '-u', $user, '--'], $cmd);
        }
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, array_merge(getenv(), $env));
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $rc = proc_close($p);
        unlink($script);
        return [$rc, trim($out . $err)];
    }

    public function testLibraryNotFoundMessage(): void
    {
        [$rc, $out] = self::php([], 'try { B2c\Library::version(); } catch (B2c\LibraryNotFoundException $e) { echo $e->getMessage(); }', ['B2C_LIBRARY' => '/nonexistent/libb2c.so']);
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('/nonexistent/libb2c.so', $out);
        $this->assertStringContainsString('B2C_LIBRARY', $out);
        $this->assertStringContainsString('cargo build --release', $out);
    }

    public function testCliUsesCdef(): void
    {
        $this->assertSame('cdef', Library::mode());
    }

    public function testFfiPreloadScope(): void
    {
        // ffi.preload (works also for an FPM master running as root with opcache.preload_user).
        $h = tempnam(sys_get_temp_dir(), 'b2c_h_');
        file_put_contents($h, Library::scopedHeader(Library::path()));
        $opcache = ini_get('extension_dir') . '/opcache.so';
        try {
            [$rc, $out] = self::php([
                'ffi.enable' => 'preload',
                'ffi.preload' => $h,
                'zend_extension' => $opcache,
                'opcache.enable_cli' => '1',
                'opcache.preload' => dirname(__DIR__) . '/preload.php',
                'opcache.preload_user' => (string) (posix_getpwuid(posix_geteuid())['name'] ?? 'root'),
            ], 'echo B2c\Library::mode(), " ", B2c\Signature::sign("k", "a\0b");');
            $this->assertSame(0, $rc, $out);
            $this->assertSame('scope ' . 'sha256=' . hash_hmac('sha256', "a\0b", 'k'), $out);
        } finally {
            unlink($h);
        }
    }

    public function testOpcachePreloadWithFfiLoad(): void
    {
        // preload.php declaring the scope itself with FFI::load (PHP refuses FFI::load with
        // opcache.preload_user, so when we are root run it as an unprivileged user).
        $user = null;
        if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
            if (!is_executable('/usr/sbin/runuser') && !is_executable('/sbin/runuser')) {
                $this->markTestSkipped('root without runuser');
            }
            $user = 'nobody';
        }
        $opcache = ini_get('extension_dir') . '/opcache.so';
        [$rc, $out] = self::php([
            'ffi.enable' => 'preload',
            'zend_extension' => $opcache,
            'opcache.enable_cli' => '1',
            'opcache.preload' => dirname(__DIR__) . '/preload.php',
        ], 'echo B2c\Library::mode(), " ", class_exists("B2c\\\\Client", false) ? "preloaded" : "not", " ", B2c\Signature::sign("k", "x");', ['B2C_LIBRARY' => Library::path()], $user);
        $this->assertSame(0, $rc, $out);
        $this->assertSame('scope preloaded sha256=' . hash_hmac('sha256', 'x', 'k'), $out);
    }
}
