<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\Signature;
use PHPUnit\Framework\TestCase;

final class SignatureTest extends TestCase
{
    private static function expected(string $key, string $body): string
    {
        return 'sha256=' . hash_hmac('sha256', $body, $key);
    }

    public function testRandomBinaryInputsMatchHashHmac(): void
    {
        mt_srand(1234);
        for ($i = 0; $i < 300; $i++) {
            $key = random_bytes(mt_rand(1, 200));
            $body = random_bytes(mt_rand(1, 5000));
            if ($i % 3 === 0) { // force NUL bytes, including leading and trailing ones
                $key = "\0" . $key . "\0";
                $body = "\0" . substr($body, 0, 10) . "\0\0" . substr($body, 10) . "\0";
            }
            $this->assertSame(self::expected($key, $body), Signature::sign($key, $body));
        }
    }

    /** @return array<string, array{string, string}> */
    public static function edges(): array
    {
        return [
            'both empty' => ['', ''],
            'empty key' => ['', 'body'],
            'empty body' => ['key', ''],
            'single NULs' => ["\0", "\0"],
            'embedded NULs' => ["k\0ey", "a\0b\0\0c"],
            'all NULs' => [str_repeat("\0", 64), str_repeat("\0", 1000)],
            'long key' => [str_repeat('x', 200), 'body'],
            'utf-8' => ['ключ', '{"a":"é"}'],
        ];
    }

    /** @dataProvider edges */
    public function testEdges(string $key, string $body): void
    {
        $this->assertSame(self::expected($key, $body), Signature::sign($key, $body));
    }

    public function testOneMebibyte(): void
    {
        $body = random_bytes(1 << 20);
        $body[1000] = "\0";
        $key = random_bytes(32);
        $this->assertSame(self::expected($key, $body), Signature::sign($key, $body));
    }
}
