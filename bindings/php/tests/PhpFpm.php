<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\Library;

/**
 * A php-fpm (the php8.2-fpm package's binary, or B2C_PHP_FPM) with one static worker, set
 * up as the README's PHP-FPM section says (ffi.enable=preload, opcache preloading the
 * package's preload.php, the FFI scope declared by ffi.preload from a header naming the
 * library under test) or with ffi.enable=true (FFI::cdef() in each request), listening on
 * a unix socket in its own temporary directory; the environment (B2C_LIBRARY) is passed on. Without php-fpm the constructor throws (the test fails).
 */
final class PhpFpm
{
    public readonly string $dir;
    public readonly string $socket;
    /** @var resource */
    private $proc;

    /**
     * @param string $ffi 'preload' (the README's setup) or 'cdef' (ffi.enable=true, no opcache:
     *                    each request loads the library with FFI::cdef() from B2C_LIBRARY)
     */
    public function __construct(string $ffi = 'preload')
    {
        $bin = self::binary();
        $this->dir = sys_get_temp_dir() . '/b2c-fpm-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($this->dir, 0755);
        $this->socket = $this->dir . '/fpm.sock';
        $header = $this->dir . '/b2c_ffi.h';
        file_put_contents($header, Library::scopedHeader(Library::path()));
        $user = posix_getpwuid(posix_geteuid())['name'] ?? 'root';
        $group = posix_getgrgid(posix_getegid())['name'] ?? 'root';
        $conf = $this->dir . '/fpm.conf';
        file_put_contents($conf, <<<INI
            [global]
            error_log = {$this->dir}/fpm.log
            daemonize = no
            log_level = notice

            [b2c]
            user = $user
            group = $group
            listen = {$this->socket}
            pm = static
            pm.max_children = 1
            clear_env = no
            catch_workers_output = yes
            php_admin_value[error_log] = {$this->dir}/php-error.log
            php_admin_flag[log_errors] = on
            php_admin_flag[display_errors] = off
            INI);
        $ini = $ffi === 'cdef'
            ? ['-d', 'ffi.enable=1', '-d', 'opcache.enable=0']
            : ['-d', 'ffi.enable=preload', '-d', "ffi.preload=$header", '-d', 'opcache.enable=1',
               '-d', 'opcache.preload=' . dirname(__DIR__) . '/preload.php', '-d', "opcache.preload_user=$user"];
        $this->proc = proc_open(
            array_merge([$bin, '--nodaemonize', '--allow-to-run-as-root', '--fpm-config', $conf], $ini),
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->dir . '/stdout', 'w'], 2 => ['file', $this->dir . '/stderr', 'w']],
            $pipes,
        );
        if (!is_resource($this->proc)) {
            throw new \RuntimeException("could not start $bin");
        }
        $deadline = microtime(true) + 10;
        while (!file_exists($this->socket)) {
            if (!proc_get_status($this->proc)['running'] || microtime(true) > $deadline) {
                $why = $this->log();
                $this->stop();
                throw new \RuntimeException("php-fpm did not start: $why");
            }
            usleep(20_000);
        }
    }

    /** php-fpm: B2C_PHP_FPM, else php-fpm<major.minor> or php-fpm in /usr/sbin or on the PATH. */
    public static function binary(): string
    {
        $env = getenv('B2C_PHP_FPM');
        if ($env !== false && $env !== '') {
            return $env;
        }
        $names = ['php-fpm' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION, 'php-fpm'];
        $dirs = array_merge(['/usr/sbin'], explode(':', (string) getenv('PATH')));
        foreach ($names as $name) {
            foreach ($dirs as $dir) {
                if ($dir !== '' && is_executable("$dir/$name")) {
                    return "$dir/$name";
                }
            }
        }
        throw new \RuntimeException(
            'php-fpm is not installed: the PHP-FPM test needs it (install the php-fpm package, php'
            . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . '-fpm; scripts/install-deps.sh installs what the '
            . 'test suites need), or set B2C_PHP_FPM to its path'
        );
    }

    /**
     * Run the script $script with the query $query.
     *
     * @param array<string, string> $query
     * @return array{headers: array<string, string>, body: string, stderr: string}
     */
    public function get(string $script, array $query): array
    {
        return FastCgi::request($this->socket, $script, http_build_query($query));
    }

    /** The master's log and PHP's error log. */
    public function log(): string
    {
        return @file_get_contents($this->dir . '/fpm.log') . @file_get_contents($this->dir . '/php-error.log')
            . @file_get_contents($this->dir . '/stderr');
    }

    public function stop(): void
    {
        if (is_resource($this->proc)) {
            proc_terminate($this->proc, 15);
            $deadline = microtime(true) + 5;
            while (proc_get_status($this->proc)['running'] && microtime(true) < $deadline) {
                usleep(10_000);
            }
            if (proc_get_status($this->proc)['running']) {
                proc_terminate($this->proc, 9);
            }
            proc_close($this->proc);
        }
        foreach (glob($this->dir . '/*') ?: [] as $f) {
            @unlink($f);
        }
        @rmdir($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }
}
