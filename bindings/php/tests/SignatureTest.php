<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\InvalidArgumentException;
use B2c\Library;
use B2c\Signature;
use B2c\Status;
use FFI;
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
            'empty body' => ['key', ''],
            'single NULs' => ["\0", "\0"], // a one-byte key, even NUL, is not empty
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

    /** @return array<string, array{string}> */
    public static function bodies(): array
    {
        return ['empty body' => [''], 'a body' => ['body']];
    }

    /**
     * libb2c refuses an empty key (a signature under it authenticates nothing); it used to
     * sign with it. Signature::sign passes NULL for an empty key.
     *
     * @dataProvider bodies
     */
    public function testEmptyKeyIsInvalidArgument(string $body): void
    {
        try {
            Signature::sign('', $body);
            $this->fail('signed with an empty key');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
            $this->assertSame(Status::INVALID_ARGUMENT->describe(), $e->getMessage());
        }
    }

    /** Length 0 with a non-NULL key pointer is refused too, and nothing is written. */
    public function testEmptyNonNullKeyAtTheCAbiWritesNothing(): void
    {
        $ffi = Library::ffi();
        $key = $ffi->new('uint8_t[1]');
        $key[0] = ord('k');
        $body = $ffi->new('uint8_t[4]');
        FFI::memcpy($body, 'body', 4);
        $out = $ffi->new('char[72]');
        FFI::memset($out, 0xaa, 72);
        $this->assertSame(Status::INVALID_ARGUMENT->value, $ffi->b2c_sign_payload($key, 0, $body, 4, $out, 72));
        $this->assertSame(str_repeat("\xaa", 72), FFI::string($out, 72));
        $this->assertSame(0, $ffi->b2c_sign_payload($key, 1, $body, 4, $out, 72));
        $this->assertSame(self::expected('k', 'body'), FFI::string($out));
    }

    public function testOneMebibyte(): void
    {
        $body = random_bytes(1 << 20);
        $body[1000] = "\0";
        $key = random_bytes(32);
        $this->assertSame(self::expected($key, $body), Signature::sign($key, $body));
    }
}
