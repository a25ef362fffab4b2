<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\InvalidArgumentException;
use B2c\Jwt;
use B2c\Key;
use PHPUnit\Framework\TestCase;

final class JwtTest extends TestCase
{
    public static function b64d(string $s): string
    {
        return base64_decode(strtr($s, '-_', '+/') . str_repeat('=', (4 - strlen($s) % 4) % 4), true);
    }

    /** Raw r||s (64 bytes) to the DER SEQUENCE openssl_verify wants. */
    public static function rawToDer(string $raw): string
    {
        $int = static function (string $x): string {
            $x = ltrim($x, "\0");
            if ($x === '' || ord($x[0]) & 0x80) {
                $x = "\0" . $x;
            }
            return "\x02" . chr(strlen($x)) . $x;
        };
        $seq = $int(substr($raw, 0, 32)) . $int(substr($raw, 32));
        return "\x30" . chr(strlen($seq)) . $seq;
    }

    /** @return array{array<string,mixed>, array<string,mixed>} header and claims */
    public static function verify(string $token, string $publicPem): array
    {
        [$h, $b, $s] = explode('.', $token);
        $raw = self::b64d($s);
        if (strlen($raw) !== 64) {
            throw new \RuntimeException('signature is not 64 bytes');
        }
        $ok = openssl_verify("$h.$b", self::rawToDer($raw), $publicPem, OPENSSL_ALGO_SHA256);
        if ($ok !== 1) {
            throw new \RuntimeException('signature does not verify');
        }
        return [json_decode(self::b64d($h), true), json_decode(self::b64d($b), true)];
    }

    public function testMintVerifiesWithOpenssl(): void
    {
        $key = Key::generate();
        $now = time();
        $token = Jwt::mint($key, adminId: 42, deviceIp: '203.0.113.10', keyId: 'crm-key-1', issuer: 'my-crm', ttl: 120);
        [$header, $claims] = self::verify($token, $key->publicPem());
        $this->assertSame('ES256', $header['alg']);
        $this->assertArrayNotHasKey('kid', $header);
        $this->assertSame(42, $claims['admin_id']);
        $this->assertSame('203.0.113.10', $claims['device_ip']);
        $this->assertSame('crm-key-1', $claims['key_id']);
        $this->assertSame('my-crm', $claims['iss']);
        $this->assertEqualsWithDelta($now, $claims['iat'], 2);
        $this->assertSame($claims['iat'] + 120, $claims['exp']);
    }

    public function testDefaultsKidHeaderAndPemKey(): void
    {
        $dir = Sandbox::repo() . '/tests/fixtures/keys/';
        $token = Jwt::mint(file_get_contents($dir . 'p256_pkcs8.pem'), 7, '127.0.0.1', 'k7', kidHeader: true);
        [$header, $claims] = self::verify($token, file_get_contents($dir . 'p256_public.pem'));
        $this->assertSame('k7', $header['kid']);
        $this->assertSame('b2c', $claims['iss']);
        $this->assertSame(300, $claims['exp'] - $claims['iat']);
    }

    public function testTamperedTokenFails(): void
    {
        $key = Key::generate();
        [$h, $b, $s] = explode('.', Jwt::mint($key, 1, '127.0.0.1', 'k'));
        $claims = json_decode(self::b64d($b), true);
        $claims['admin_id'] = 2;
        $forged = rtrim(strtr(base64_encode(json_encode($claims)), '+/', '-_'), '=');
        $this->expectExceptionMessage('does not verify');
        self::verify("$h.$forged.$s", $key->publicPem());
    }

    public function testBadClaimsAreInvalidArgument(): void
    {
        $key = Key::generate();
        $this->expectException(InvalidArgumentException::class);
        Jwt::mint($key, 1, '', 'k');
    }
}
