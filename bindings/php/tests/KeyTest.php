<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\B2cException;
use B2c\ClosedException;
use B2c\InvalidArgumentException;
use B2c\IoException;
use B2c\Key;
use B2c\KeyFormatException;
use B2c\Status;
use PHPUnit\Framework\TestCase;

final class KeyTest extends TestCase
{
    private static function fixture(string $name): string
    {
        return Sandbox::repo() . '/tests/fixtures/keys/' . $name;
    }

    public function testGenerateRoundTripsThroughPem(): void
    {
        $a = Key::generate();
        $b = Key::generate();
        $this->assertNotSame($a->publicPem(), $b->publicPem());
        $pem = $a->privatePem();
        $this->assertStringStartsWith("-----BEGIN PRIVATE KEY-----\n", $pem);
        $this->assertStringStartsWith("-----BEGIN PUBLIC KEY-----\n", $a->publicPem());
        $this->assertSame($a->publicPem(), Key::fromPem($pem)->publicPem());
    }

    /** @return array<string, array{string}> */
    public static function goodKeys(): array
    {
        return ['pkcs8' => ['p256_pkcs8.pem'], 'sec1' => ['p256_sec1.pem']];
    }

    /** @dataProvider goodKeys */
    public function testGoodFixturesLoadFromPemAndFile(string $name): void
    {
        $expected = file_get_contents(self::fixture('p256_public.pem'));
        $this->assertSame($expected, Key::fromPem(file_get_contents(self::fixture($name)))->publicPem());
        $this->assertSame($expected, Key::fromFile(self::fixture($name))->publicPem());
    }

    public function testSec1WithParamsAndCrlf(): void
    {
        $k = Key::fromFile(self::fixture('p256_sec1_with_params.pem'));
        $this->assertSame($k->publicPem(), Key::fromPem($k->privatePem())->publicPem());
        $crlf = str_replace("\n", "\r\n", file_get_contents(self::fixture('p256_pkcs8.pem')));
        $this->assertSame(file_get_contents(self::fixture('p256_public.pem')), Key::fromPem($crlf)->publicPem());
    }

    /** @return array<string, array{string, Status}> */
    public static function badKeys(): array
    {
        return [
            'p384_pkcs8' => ['p384_pkcs8.pem', Status::KEY_UNSUPPORTED_CURVE],
            'p384_sec1' => ['p384_sec1.pem', Status::KEY_UNSUPPORTED_CURVE],
            'secp256k1' => ['secp256k1_pkcs8.pem', Status::KEY_UNSUPPORTED_CURVE],
            'rsa_pkcs8' => ['rsa_pkcs8.pem', Status::KEY_UNSUPPORTED_TYPE],
            'rsa_pkcs1' => ['rsa_pkcs1.pem', Status::KEY_UNSUPPORTED_TYPE],
            'ed25519' => ['ed25519_pkcs8.pem', Status::KEY_UNSUPPORTED_TYPE],
            'encrypted_pkcs8' => ['p256_encrypted_pkcs8.pem', Status::KEY_ENCRYPTED],
            'encrypted_sec1' => ['p256_encrypted_sec1.pem', Status::KEY_ENCRYPTED],
            'garbage' => ['garbage_pkcs8.pem', Status::KEY_INVALID],
            'not_pem' => ['not_pem.txt', Status::KEY_INVALID],
            'public' => ['p256_public.pem', Status::KEY_INVALID],
        ];
    }

    /** @dataProvider badKeys */
    public function testEveryBadKeyFormHasItsOwnCode(string $name, Status $status): void
    {
        foreach ([fn () => Key::fromPem(file_get_contents(self::fixture($name))), fn () => Key::fromFile(self::fixture($name))] as $load) {
            try {
                $load();
                $this->fail("$name loaded");
            } catch (KeyFormatException $e) {
                $this->assertSame($status->value, $e->getCode(), $e->getMessage());
                $this->assertSame($status, $e->status());
                $this->assertNotSame('', $e->getMessage());
                $this->assertSame(0, $e->httpStatus);
                $this->assertInstanceOf(B2cException::class, $e);
            }
        }
    }

    public function testEmptyAndTruncatedPem(): void
    {
        try {
            Key::fromPem('');
            $this->fail('empty PEM loaded');
        } catch (KeyFormatException $e) {
            $this->assertSame(Status::KEY_INVALID->value, $e->getCode());
        }
        $this->expectException(KeyFormatException::class);
        Key::fromPem(str_replace('-----END PRIVATE KEY-----', '', file_get_contents(self::fixture('p256_pkcs8.pem'))));
    }

    public function testMissingFileIsIoException(): void
    {
        $this->expectException(IoException::class);
        $this->expectExceptionCode(Status::IO->value);
        Key::fromFile('/nonexistent/b2c/key.pem');
    }

    public function testClosedKeyThrowsAndDebugHidesMaterial(): void
    {
        $k = Key::generate();
        $this->assertStringContainsString('redacted', print_r($k, true));
        $k->close();
        $k->close();
        $this->assertTrue($k->isClosed());
        try {
            $k->publicPem();
            $this->fail('closed key used');
        } catch (ClosedException $e) {
            $this->assertInstanceOf(InvalidArgumentException::class, $e);
            $this->assertSame(Status::NULL_POINTER->value, $e->getCode());
        }
    }
}
