<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\AccessToken;
use B2c\B2binpayCounters;
use B2c\B2c;
use B2c\B2cException;
use B2c\FeeStatus;
use B2c\IoException;
use B2c\Library;
use B2c\NetworkException;
use B2c\Status;
use B2c\TimeoutException;
use PHPUnit\Framework\TestCase;

final class LibraryTest extends TestCase
{
    private const FAMILIES = [
        'InvalidArgument', 'Io', 'KeyFormat', 'Network', 'Timeout', 'Throttled', 'Protocol',
        'Auth', 'Fee', 'StillPending', 'Cancelled', 'Signature', 'Remote', 'Internal',
    ];

    private static function header(): string
    {
        return file_get_contents(Sandbox::header());
    }

    public function testVersionMatchesCargoToml(): void
    {
        preg_match('/^version = "([^"]+)"/m', file_get_contents(Sandbox::repo() . '/Cargo.toml'), $m);
        $this->assertSame($m[1], B2c::version());
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
        // The structs with fields the binding builds or reads (b2c_call_options, b2c_token_store,
        // b2c_log_params): each one is used by name.
        preg_match_all('/typedef struct \{.*?\}\s*(b2c_\w+);/s', self::header(), $m);
        $this->assertContains('b2c_call_options', $m[1]);
        foreach ($m[1] as $struct) {
            $this->assertMatchesRegularExpression("/\\b$struct\\b/", $src, "the struct $struct is not used by any class in bindings/php/src");
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

    /**
     * name => [value, family] of every b2c_status enumerator, the family taken from the
     * "Exception family: X." line of the comment block just before it (null if none).
     *
     * @return array<string, array{int, ?string}>
     */
    private static function headerStatuses(string $text): array
    {
        preg_match('/typedef enum \{(.*?)\} b2c_status;/s', $text, $m);
        preg_match_all('#/\*(.*?)\*/|B2C_(\w+)\s*=\s*(\d+)#s', $m[1], $all, PREG_SET_ORDER);
        $out = [];
        $comment = null;
        foreach ($all as $x) {
            if (($x[2] ?? '') === '') {
                $comment = $x[1];
                continue;
            }
            $family = preg_match('/Exception family:\s*(\w+)\./', $comment ?? '', $f) ? $f[1] : null;
            $out[$x[2]] = [(int) $x[3], $family];
            $comment = null;
        }
        return $out;
    }

    /**
     * Every status (but OK) whose exception class is not exactly B2c\<Family>Exception of
     * the header, as "B2C_NAME (n): got, header says expected".
     *
     * @param array<string, array{int, ?string}> $statuses
     * @return list<string>
     */
    private static function familyMismatches(array $statuses): array
    {
        $wrong = [];
        foreach ($statuses as $name => [$value, $family]) {
            if ($name === 'OK') {
                continue;
            }
            $expected = $family === null ? '(no family in the header)' : "B2c\\{$family}Exception";
            $got = B2cException::classFor($value);
            $built = get_class(B2cException::fromStatus($value, 'm'));
            if ($got !== $expected || $built !== $expected) {
                $wrong[] = "B2C_$name ($value): $got, header says $expected";
            }
        }
        return $wrong;
    }

    public function testExceptionFamiliesMatchTheHeader(): void
    {
        $statuses = self::headerStatuses(self::header());
        $this->assertNotEmpty($statuses);
        $this->assertSame([0, null], $statuses['OK']);
        $names = [];
        foreach ($statuses as $name => [$value, $family]) {
            $names[$name] = $value;
            if ($name !== 'OK') {
                $this->assertContains($family, self::FAMILIES, "B2C_$name: family '$family' is not one of the spec's");
            }
        }
        $inPhp = [];
        foreach (Status::cases() as $c) {
            $inPhp[$c->name] = $c->value;
        }
        $this->assertSame($names, $inPhp, 'B2c\Status differs from the header');
        $this->assertSame([], self::familyMismatches($statuses), 'status -> exception mapping differs from include/b2c.h');
    }

    public function testExceptionFamilyClasses(): void
    {
        foreach (self::FAMILIES as $family) {
            $class = "B2c\\{$family}Exception";
            $this->assertTrue(class_exists($class), "$class is missing");
            $this->assertTrue(is_subclass_of($class, B2cException::class), "$class does not extend B2cException");
        }
        $this->assertTrue(is_subclass_of(TimeoutException::class, NetworkException::class));
        $this->assertSame(IoException::class, B2cException::classFor(Status::IO->value));
        $this->assertSame(TimeoutException::class, B2cException::classFor(Status::TIMEOUT->value));
        // A status from a newer library: the base class itself.
        $this->assertSame(B2cException::class, get_class(B2cException::fromStatus(777, 'm')));
    }

    public function testFamilyCheckSeesAWrongFamily(): void
    {
        // The mapping check can fail: in a copy of the header with IO's family changed it does.
        $broken = preg_replace('#(Exception family: )Io\.(\s*\*/\s*B2C_IO =)#', '${1}Remote.$2', self::header(), -1, $n);
        $this->assertSame(1, $n);
        $wrong = self::familyMismatches(self::headerStatuses($broken));
        $this->assertCount(1, $wrong);
        $this->assertStringStartsWith('B2C_IO (6): B2c\IoException, header says B2c\RemoteException', $wrong[0]);
    }

    public function testSharedNames(): void
    {
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', B2c::version());
        $this->assertNotSame('', B2c::statusString(0));
        foreach ([AccessToken::class => ['token' => 'string', 'suspicious' => 'bool'],
                  B2binpayCounters::class => ['logins' => 'int', 'refreshes' => 'int', 'suspicious' => 'int']] as $class => $props) {
            $r = new \ReflectionClass($class);
            $this->assertTrue($r->isFinal(), "$class is final");
            $got = [];
            foreach ($r->getProperties() as $p) {
                $this->assertTrue($p->isPublic() && $p->isReadOnly(), "$class::\${$p->getName()} is public readonly");
                $got[$p->getName()] = (string) $p->getType();
            }
            $this->assertSame($props, $got, $class);
        }
        $t = new AccessToken('tok', true);
        $this->assertSame(['tok', true], [$t->token, $t->suspicious]);
        $this->assertFalse(method_exists(Library::class, 'version'), 'the old Library::version() is gone: B2c::version()');
    }

    public function testStatusStrings(): void
    {
        $this->assertSame('unknown status', B2c::statusString(12345));
        $this->assertNotSame('', Status::KEY_ENCRYPTED->describe());
    }

    public function testShippedFfiHeaderMatchesGenerator(): void
    {
        $shipped = file_get_contents(Library::shippedHeaderPath());
        $this->assertSame(
            Library::scopedHeader(Library::soname(), file_get_contents(Sandbox::header())),
            $shipped,
            'regenerate: B2C_HEADER=include/b2c.h php bindings/php/bin/b2c-ffi-header.php > bindings/php/b2c_ffi.h',
        );
        $this->assertStringStartsWith("#define FFI_SCOPE \"B2C\"\n#define FFI_LIB \"libb2c.so.0.1\"\n", $shipped);
        $this->assertSame(file_get_contents(Sandbox::header()), Library::stripFfiDefines($shipped));
    }

    public function testSonameFollowsTheBindingVersion(): void
    {
        $this->assertSame('libb2c.so.0.1', Library::soname('0.1.0'));
        $this->assertSame('libb2c.so.0.12', Library::soname('0.12.3'));
        $this->assertSame('libb2c.so.1', Library::soname('1.4.2'));
        // The same SONAME as the library build (scripts/soname.sh reads Cargo.toml).
        $this->assertSame(trim((string) shell_exec(escapeshellarg(Sandbox::repo() . '/scripts/soname.sh'))), Library::soname());
    }

    public function testHeaderIsThePackagesOwn(): void
    {
        [$rc, $out] = self::php([], 'echo B2c\Library::headerPath(), " ", B2c\B2c::version();', [], null, ['B2C_HEADER']);
        $this->assertSame(0, $rc, $out);
        $this->assertSame(realpath(dirname(__DIR__) . '/b2c_ffi.h') . ' ' . B2c::version(), $out);
        // B2C_HEADER overrides it (the plain include/b2c.h works as well) ...
        [$rc, $out] = self::php([], 'echo B2c\B2c::version();', ['B2C_HEADER' => Sandbox::repo() . '/include/b2c.h']);
        $this->assertSame([0, B2c::version()], [$rc, $out]);
        // ... and a wrong one is an error naming it.
        [$rc, $out] = self::php([], 'try { B2c\B2c::version(); } catch (B2c\LibraryNotFoundException $e) { echo $e->getMessage(); }', ['B2C_HEADER' => '/nonexistent/b2c.h']);
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('/nonexistent/b2c.h', $out);
    }

    private static function systemHasLibb2c(): bool
    {
        return str_contains((string) shell_exec('ldconfig -p 2>/dev/null'), 'libb2c');
    }

    /** A temporary directory (readable by everyone) with $name -> the B2C_LIBRARY file. */
    private static function libDir(?string $name): string
    {
        $dir = sys_get_temp_dir() . '/b2c_lib_' . bin2hex(random_bytes(6));
        mkdir($dir, 0755);
        if ($name !== null) {
            symlink(Library::path(), "$dir/$name");
        }
        register_shutdown_function(static function () use ($dir, $name): void {
            if ($name !== null) {
                @unlink("$dir/$name");
            }
            @rmdir($dir);
        });
        return $dir;
    }

    public function testSystemLoaderBySoname(): void
    {
        // What `make install` + ldconfig gives, emulated with LD_LIBRARY_PATH: the SONAME only.
        $dir = self::libDir('libb2c.so.0.1');
        [$rc, $out] = self::php([], 'echo B2c\B2c::version(), " ", B2c\Library::path();', ['LD_LIBRARY_PATH' => $dir], null, ['B2C_LIBRARY']);
        $this->assertSame(0, $rc, $out);
        $this->assertSame(B2c::version() . ' libb2c.so.0.1', $out);
    }

    public function testSystemLoaderPlainName(): void
    {
        if (self::systemHasLibb2c()) {
            $this->markTestSkipped('a system-wide libb2c is installed: it is found by SONAME first');
        }
        $dir = self::libDir('libb2c.so');
        [$rc, $out] = self::php([], 'echo B2c\B2c::version(), " ", B2c\Library::path();', ['LD_LIBRARY_PATH' => $dir], null, ['B2C_LIBRARY']);
        $this->assertSame(0, $rc, $out);
        $this->assertSame(B2c::version() . ' libb2c.so', $out);
    }

    public function testNotFoundNamesEveryPlace(): void
    {
        if (self::systemHasLibb2c()) {
            $this->markTestSkipped('a system-wide libb2c is installed');
        }
        $dir = self::libDir(null);
        [$rc, $out] = self::php([], 'try { B2c\B2c::version(); } catch (B2c\LibraryNotFoundException $e) { echo $e->getMessage(); }', ['LD_LIBRARY_PATH' => $dir], null, ['B2C_LIBRARY']);
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('(1) B2C_LIBRARY: unset', $out);
        $this->assertStringContainsString('(2) the system dynamic loader, libb2c.so.0.1: libb2c.so.0.1: cannot open shared object file', $out);
        $this->assertStringContainsString('(3) the system dynamic loader, libb2c.so: libb2c.so: cannot open shared object file', $out);
        $this->assertStringNotContainsString('target/release', $out);
    }

    /**
     * @param array<string, string> $ini
     * @param array<string, string> $env
     * @param list<string> $unset environment variables removed for the child
     */
    private static function php(array $ini, string $code, array $env = [], ?string $user = null, array $unset = []): array
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
        $childEnv = array_diff_key(array_merge(getenv(), $env), array_flip($unset));
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $childEnv);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $rc = proc_close($p);
        unlink($script);
        return [$rc, trim($out . $err)];
    }

    public function testLibraryNotFoundMessage(): void
    {
        // Set but not a file: an error naming the variable and its value, never a fall-back
        // (not even to a library the system loader would find).
        $dir = self::libDir('libb2c.so.0.1');
        [$rc, $out] = self::php([], 'try { B2c\B2c::version(); } catch (B2c\LibraryNotFoundException $e) { echo $e->getMessage(); }', ['B2C_LIBRARY' => '/nonexistent/libb2c.so', 'LD_LIBRARY_PATH' => $dir]);
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString("B2C_LIBRARY is set to '/nonexistent/libb2c.so', which is not an existing file", $out);
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

    public function testFfiPreloadOfTheShippedHeader(): void
    {
        // A system install: php.ini's ffi.preload names the package's own b2c_ffi.h as it is
        // (FFI_LIB "libb2c.so.0.1", found by the dynamic loader).
        $dir = self::libDir('libb2c.so.0.1');
        $opcache = ini_get('extension_dir') . '/opcache.so';
        [$rc, $out] = self::php([
            'ffi.enable' => 'preload',
            'ffi.preload' => Library::shippedHeaderPath(),
            'zend_extension' => $opcache,
            'opcache.enable_cli' => '1',
            'opcache.preload' => dirname(__DIR__) . '/preload.php',
            'opcache.preload_user' => (string) (posix_getpwuid(posix_geteuid())['name'] ?? 'root'),
        ], 'echo B2c\Library::mode(), " ", B2c\B2c::version();', ['LD_LIBRARY_PATH' => $dir], null, ['B2C_LIBRARY']);
        $this->assertSame(0, $rc, $out);
        $this->assertSame('scope ' . B2c::version(), $out);
    }

    /**
     * preload.php declaring the scope itself with FFI::load (PHP refuses FFI::load with
     * opcache.preload_user, so when we are root run it as an unprivileged user).
     *
     * @param array<string, string> $env
     * @param list<string> $unset
     */
    private function opcachePreloadWithFfiLoad(array $env, array $unset): void
    {
        $user = $this->preloadUser();
        $opcache = ini_get('extension_dir') . '/opcache.so';
        [$rc, $out] = self::php([
            'ffi.enable' => 'preload',
            'zend_extension' => $opcache,
            'opcache.enable_cli' => '1',
            'opcache.preload' => dirname(__DIR__) . '/preload.php',
        ], 'echo B2c\Library::mode(), " ", class_exists("B2c\\\\Client", false) ? "preloaded" : "not", " ", B2c\Signature::sign("k", "x");', $env, $user, $unset);
        $this->assertSame(0, $rc, $out);
        $this->assertSame('scope preloaded sha256=' . hash_hmac('sha256', 'x', 'k'), $out);
    }

    /** Who runs a preload without opcache.preload_user: we, or "nobody" when we are root. */
    private function preloadUser(): ?string
    {
        if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
            if (!is_executable('/usr/sbin/runuser') && !is_executable('/sbin/runuser')) {
                $this->markTestSkipped('root without runuser');
            }
            return 'nobody';
        }
        return null;
    }

    public function testOpcachePreloadWithFfiLoad(): void
    {
        $this->opcachePreloadWithFfiLoad(['B2C_LIBRARY' => Library::path()], []);
    }

    public function testOpcachePreloadWithFfiLoadFromTheSystemLoader(): void
    {
        $this->opcachePreloadWithFfiLoad(['LD_LIBRARY_PATH' => self::libDir('libb2c.so.0.1')], ['B2C_LIBRARY']);
    }

    public function testOpcachePreloadNamesEveryPlaceWhenNotFound(): void
    {
        if (self::systemHasLibb2c()) {
            $this->markTestSkipped('a system-wide libb2c is installed');
        }
        $opcache = ini_get('extension_dir') . '/opcache.so';
        [$rc, $out] = self::php([
            'ffi.enable' => 'preload',
            'zend_extension' => $opcache,
            'opcache.enable_cli' => '1',
            'opcache.preload' => dirname(__DIR__) . '/preload.php',
        ], 'echo "ran";', ['LD_LIBRARY_PATH' => self::libDir(null)], $this->preloadUser(), ['B2C_LIBRARY']);
        $this->assertNotSame(0, $rc, $out);
        $this->assertStringContainsString('b2c preload: libb2c not found. Tried, in order: (1) B2C_LIBRARY: unset; '
            . '(2) the system dynamic loader, libb2c.so.0.1: libb2c.so.0.1: cannot open shared object file', $out);
        $this->assertStringContainsString('(3) the system dynamic loader, libb2c.so: libb2c.so: cannot open shared object file', $out);
    }
}
