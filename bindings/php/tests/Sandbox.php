<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\Key;

/** A real b2c-sandbox process (B2C_SANDBOX) on an ephemeral port. */
final class Sandbox
{
    public const ERROR_LOGIN = '666000';

    public readonly string $url;
    /** @var resource */
    private $proc;
    /** @var array<int, resource> */
    private array $pipes;

    /** @param list<string> $args */
    public function __construct(array $args)
    {
        $bin = self::binary();
        $proc = proc_open(
            array_merge([$bin, '--port', '0'], $args),
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes,
        );
        if (!is_resource($proc)) {
            throw new \RuntimeException('could not start the sandbox');
        }
        $this->proc = $proc;
        $this->pipes = $pipes;
        $r = [$pipes[1]];
        $w = $e = null;
        $line = stream_select($r, $w, $e, 15) ? fgets($pipes[1]) : false;
        $prefix = 'b2c-sandbox listening on ';
        if ($line === false || !str_starts_with($line, $prefix)) {
            $this->stop();
            throw new \RuntimeException('sandbox did not start: ' . var_export($line, true));
        }
        $this->url = trim(substr($line, strlen($prefix)));
    }

    /** Start a sandbox with $key registered as kid1 / admin 42. */
    public static function withKey(Key $key, string ...$extra): self
    {
        $pub = tempnam(sys_get_temp_dir(), 'b2c_pub_');
        file_put_contents($pub, $key->publicPem());
        try {
            return new self(array_merge(['--register', "kid1:42:$pub"], $extra));
        } finally {
            // The sandbox reads the file at start-up.
            register_shutdown_function(static fn () => @unlink($pub));
        }
    }

    /** @return array<string, mixed> */
    public function config(Key $key): array
    {
        return [
            'base_url' => $this->url,
            'admin_id' => 42,
            'device_ip' => '127.0.0.1',
            'key_id' => 'kid1',
            'private_key_pem' => $key->privatePem(),
            'poll_interval_ms' => 20,
        ];
    }

    /**
     * The sandbox's control surface (loopback, never faulted): `stats` is GET /_sandbox/stats,
     * any other action is POST /_sandbox/{action} with $body as JSON. Returns the JSON answer.
     *
     * @param array<string, mixed>|null $body
     * @return array<string, mixed>
     */
    public function control(string $action, ?array $body = null): array
    {
        $get = $action === 'stats';
        $ctx = stream_context_create(['http' => [
            'method' => $get ? 'GET' : 'POST',
            'header' => $get ? '' : 'Content-Type: application/json',
            'content' => $get ? '' : json_encode($body ?? new \stdClass(), JSON_THROW_ON_ERROR),
            'ignore_errors' => true,
            'timeout' => 5,
        ]]);
        $raw = file_get_contents($this->url . '/_sandbox/' . $action, false, $ctx);
        $statusLine = $http_response_header[0] ?? '';
        if ($raw === false || !preg_match('#^HTTP/\S+ 200\b#', $statusLine)) {
            throw new \RuntimeException("sandbox control $action failed: $statusLine " . var_export($raw, true));
        }
        return json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * Counters of one emulator (b2copy, b2binpay, crm, retailcrm).
     *
     * @return array<string, int>
     */
    public function stats(string $vendor): array
    {
        return $this->control('stats')[$vendor];
    }

    public function stop(): void
    {
        if (is_resource($this->proc)) {
            proc_terminate($this->proc, 9);
            foreach ($this->pipes as $p) {
                if (is_resource($p)) {
                    fclose($p);
                }
            }
            proc_close($this->proc);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }

    /**
     * The b2c-sandbox executable, from the B2C_SANDBOX environment variable (set by
     * scripts/test-php.sh to $B2C_REL/b2c-sandbox). No fall-back: without it the tests that
     * need the sandbox error out with this message.
     */
    public static function binary(): string
    {
        $bin = getenv('B2C_SANDBOX');
        if ($bin === false || $bin === '') {
            throw new \RuntimeException(
                'B2C_SANDBOX is not set: point it at the b2c-sandbox executable '
                . '(scripts/test-php.sh sets it to $B2C_REL/b2c-sandbox)'
            );
        }
        if (!is_file($bin)) {
            throw new \RuntimeException("B2C_SANDBOX is set to '$bin', which is not a file");
        }
        return $bin;
    }

    /** include/b2c.h, or the header named by B2C_HEADER (what the tests parse). */
    public static function header(): string
    {
        $env = getenv('B2C_HEADER');
        return ($env !== false && $env !== '') ? $env : self::repo() . '/include/b2c.h';
    }

    public static function repo(): string
    {
        return dirname(__DIR__, 3);
    }

    public static function requestId(string $prefix = 'wd'): string
    {
        static $n = 0;
        return sprintf('%s-%d-%d', $prefix, getmypid(), ++$n);
    }
}
