<?php

declare(strict_types=1);

namespace B2c\Tests;

/** A minimal FastCGI client (one responder request per connection), to talk to php-fpm in the tests. */
final class FastCgi
{
    private const VERSION = 1;
    private const BEGIN_REQUEST = 1;
    private const END_REQUEST = 3;
    private const PARAMS = 4;
    private const STDIN = 5;
    private const STDOUT = 6;
    private const STDERR = 7;

    /**
     * Run $script with $query on the php-fpm listening at unix socket $socket.
     *
     * @return array{headers: array<string, string>, body: string, stderr: string}
     */
    public static function request(string $socket, string $script, string $query, float $timeout = 30.0): array
    {
        $s = @stream_socket_client("unix://$socket", $errno, $errstr, 5.0);
        if ($s === false) {
            throw new \RuntimeException("php-fpm at $socket: $errstr");
        }
        stream_set_timeout($s, (int) ceil($timeout));
        $params = [
            'GATEWAY_INTERFACE' => 'FastCGI/1.0',
            'REQUEST_METHOD' => 'GET',
            'SCRIPT_FILENAME' => $script,
            'SCRIPT_NAME' => '/' . basename($script),
            'REQUEST_URI' => '/' . basename($script) . '?' . $query,
            'QUERY_STRING' => $query,
            'SERVER_SOFTWARE' => 'b2c-tests',
            'SERVER_PROTOCOL' => 'HTTP/1.1',
            'SERVER_NAME' => 'localhost',
            'SERVER_PORT' => '80',
            'REMOTE_ADDR' => '127.0.0.1',
            'CONTENT_LENGTH' => '0',
        ];
        $body = '';
        foreach ($params as $k => $v) {
            $body .= self::length(strlen($k)) . self::length(strlen($v)) . $k . $v;
        }
        fwrite($s, self::record(self::BEGIN_REQUEST, pack('nCx5', 1, 0))
            . self::record(self::PARAMS, $body) . self::record(self::PARAMS, '')
            . self::record(self::STDIN, ''));
        $out = $err = '';
        while (true) {
            $head = self::read($s, 8);
            $h = unpack('Cversion/Ctype/nid/nlength/Cpadding/x', $head);
            $content = self::read($s, $h['length']);
            self::read($s, $h['padding']);
            if ($h['type'] === self::STDOUT) {
                $out .= $content;
            } elseif ($h['type'] === self::STDERR) {
                $err .= $content;
            } elseif ($h['type'] === self::END_REQUEST) {
                break;
            }
        }
        fclose($s);
        [$rawHeaders, $responseBody] = array_pad(explode("\r\n\r\n", $out, 2), 2, '');
        $headers = [];
        foreach (explode("\r\n", $rawHeaders) as $line) {
            if (str_contains($line, ':')) {
                [$k, $v] = explode(':', $line, 2);
                $headers[strtolower(trim($k))] = trim($v);
            }
        }
        return ['headers' => $headers, 'body' => $responseBody, 'stderr' => $err];
    }

    private static function record(int $type, string $content): string
    {
        $pad = (8 - strlen($content) % 8) % 8;
        return pack('CCnnCx', self::VERSION, $type, 1, strlen($content), $pad) . $content . str_repeat("\0", $pad);
    }

    private static function length(int $n): string
    {
        return $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    }

    /** @param resource $s */
    private static function read($s, int $n): string
    {
        $buf = '';
        while (strlen($buf) < $n) {
            $chunk = fread($s, $n - strlen($buf));
            if ($chunk === false || $chunk === '') {
                $meta = stream_get_meta_data($s);
                throw new \RuntimeException('php-fpm closed the connection' . ($meta['timed_out'] ? ' (timed out)' : '')
                    . ' after ' . strlen($buf) . " of $n bytes");
            }
            $buf .= $chunk;
        }
        return $buf;
    }
}
