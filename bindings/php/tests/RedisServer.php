<?php

declare(strict_types=1);

namespace B2c\Tests;

/**
 * A real redis-server started for the tests on a free loopback port, with no persistence
 * (--save '' --appendonly no, its own temporary directory), stopped by stop() or the
 * destructor. Without redis-server or the php-redis extension the constructor throws (the
 * test fails, naming scripts/install-deps.sh: it is never skipped).
 */
final class RedisServer
{
    public readonly int $port;
    /** @var resource */
    private $proc;
    private string $dir;

    public function __construct()
    {
        if (!extension_loaded('redis')) {
            throw new \RuntimeException(
                'the php-redis extension (ext-redis) is not loaded: install the php-redis package (scripts/install-deps.sh)'
            );
        }
        $bin = self::binary();
        $this->dir = sys_get_temp_dir() . '/b2c-redis-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($this->dir, 0700);
        $last = '';
        for ($attempt = 0; $attempt < 5; $attempt++) {
            $port = self::freePort();
            $log = $this->dir . '/redis.log';
            $proc = proc_open(
                [$bin, '--port', (string) $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                 '--dir', $this->dir, '--daemonize', 'no', '--logfile', $log],
                [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
                $pipes,
            );
            if (!is_resource($proc)) {
                throw new \RuntimeException("could not start $bin");
            }
            $deadline = microtime(true) + 10;
            while (microtime(true) < $deadline) {
                if (!proc_get_status($proc)['running']) {
                    break;
                }
                try {
                    $r = new \Redis();
                    $r->connect('127.0.0.1', $port, 1.0);
                    if ($r->ping() !== false) {
                        $this->proc = $proc;
                        $this->port = $port;
                        return;
                    }
                } catch (\RedisException) {
                }
                usleep(20_000);
            }
            $last = (string) @file_get_contents($log);
            proc_terminate($proc, 9);
            proc_close($proc);
        }
        throw new \RuntimeException("redis-server did not answer PING: $last");
    }

    /**
     * redis-server in $dirs (default: the PATH, /usr/bin, /usr/sbin); a failure names
     * scripts/install-deps.sh.
     *
     * @param list<string>|null $dirs
     */
    public static function binary(?array $dirs = null): string
    {
        foreach ($dirs ?? array_merge(explode(':', (string) getenv('PATH')), ['/usr/bin', '/usr/sbin']) as $dir) {
            if ($dir !== '' && is_executable("$dir/redis-server")) {
                return "$dir/redis-server";
            }
        }
        throw new \RuntimeException(
            'redis-server is not installed: the Redis token store tests need it (install the redis-server package; '
            . 'scripts/install-deps.sh installs what the test suites need)'
        );
    }

    /** A new connection to this server. */
    public function connect(): \Redis
    {
        $r = new \Redis();
        $r->connect('127.0.0.1', $this->port, 2.0);
        return $r;
    }

    public function stop(): void
    {
        if (isset($this->proc) && is_resource($this->proc)) {
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
        if (isset($this->dir) && is_dir($this->dir)) {
            foreach (glob($this->dir . '/*') ?: [] as $f) {
                @unlink($f);
            }
            @rmdir($this->dir);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }

    private static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($s === false) {
            throw new \RuntimeException("no free port: $errstr");
        }
        $name = stream_socket_get_name($s, false);
        fclose($s);
        return (int) substr((string) strrchr((string) $name, ':'), 1);
    }
}
