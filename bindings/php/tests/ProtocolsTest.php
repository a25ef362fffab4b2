<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\AuthException;
use B2c\B2binpay;
use B2c\B2cException;
use B2c\ClosedException;
use B2c\CrmOpenApi;
use B2c\InvalidArgumentException;
use B2c\Key;
use B2c\RetailCrm;
use B2c\Status;
use PHPUnit\Framework\TestCase;

/** CRM Open API, B2BINPAY and RetailCRM through the binding, against the sandbox. */
final class ProtocolsTest extends TestCase
{
    private const API_KEY = 'sandbox-api-key';
    private static Sandbox $sandbox;

    public static function setUpBeforeClass(): void
    {
        self::$sandbox = Sandbox::withKey(Key::generate());
    }

    public static function tearDownAfterClass(): void
    {
        self::$sandbox->stop();
    }

    // ---- CRM Open API ----

    public function testCrmSignRequestMatchesHashHmacAndRules(): void
    {
        $body = "{\"name\":\"\u{e9}\",\"x\":\"\0\"}";
        $this->assertSame('sha256=' . hash_hmac('sha256', $body, 'k1'), CrmOpenApi::signRequest('k1', 'POST', $body));
        $this->assertSame('sha256=' . hash_hmac('sha256', $body, 'k1'), CrmOpenApi::signRequest('k1', 'put', $body));
        $this->assertSame('', CrmOpenApi::signRequest('k1', 'GET', $body));
        $this->assertSame('', CrmOpenApi::signRequest('k1', 'POST', ''));
    }

    public function testCrmVerifySignature(): void
    {
        $body = random_bytes(300);
        $sig = CrmOpenApi::signRequest('k1', 'POST', $body);
        $this->assertTrue(CrmOpenApi::verifySignature('k1', $body, $sig));
        $this->assertFalse(CrmOpenApi::verifySignature('k2', $body, $sig));
        $this->assertFalse(CrmOpenApi::verifySignature('k1', $body . 'x', $sig));
    }

    private static function post(string $url, string $body, array $headers): int
    {
        $lines = [];
        foreach ($headers as $k => $v) {
            $lines[] = "$k: $v";
        }
        $ctx = stream_context_create(['http' => [
            'method' => 'POST', 'header' => implode("\r\n", $lines), 'content' => $body,
            'ignore_errors' => true, 'timeout' => 5,
        ]]);
        file_get_contents($url, false, $ctx);
        preg_match('#^HTTP/\S+ (\d+)#', $http_response_header[0] ?? '', $m);
        return (int) ($m[1] ?? 0);
    }

    public function testCrmSignedRequestIsAcceptedByTheSandbox(): void
    {
        $body = json_encode(['client' => 'Ann']);
        $url = self::$sandbox->url . '/crm/api/clients';
        $h = ['key' => self::API_KEY, 'content-type' => 'application/json'];
        $this->assertSame(200, self::post($url, $body, $h + ['signature' => CrmOpenApi::signRequest(self::API_KEY, 'POST', $body)]));
        $this->assertSame(403, self::post($url, $body, $h + ['signature' => CrmOpenApi::signRequest('wrong', 'POST', $body)]));
    }

    public function testWebhookVendorVector(): void
    {
        $secret = "It's a Secret to Everybody";
        $hex = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
        $this->assertTrue(CrmOpenApi::verifyWebhook($secret, 'Hello, World!', $hex));
        $this->assertTrue(CrmOpenApi::verifyWebhook($secret, 'Hello, World!', "sha256=$hex"));
        $this->assertFalse(CrmOpenApi::verifyWebhook($secret, 'Hello, World!!', $hex));
        $this->assertTrue(CrmOpenApi::verifyWebhook("s\0ecret", "a\0b", hash_hmac('sha256', "a\0b", "s\0ecret")));
    }

    // ---- B2BINPAY ----

    private static function b2binpay(array $extra = []): B2binpay
    {
        return new B2binpay(array_merge([
            'base_url' => self::$sandbox->url . '/b2binpay',
            'login' => 'sandbox-login',
            'password' => 'sandbox-password',
        ], $extra));
    }

    public function testB2binpayLoginRefreshTokensCounters(): void
    {
        $bp = self::b2binpay();
        $bp->login();
        $t1 = $bp->accessToken($suspicious);
        $this->assertNotSame('', $t1);
        $this->assertFalse($suspicious);
        $bp->refresh();
        $t2 = $bp->accessToken();
        $this->assertNotSame($t1, $t2);
        $this->assertSame(['logins' => 1, 'refreshes' => 1, 'suspicious' => 0], $bp->counters());
        $bp->close();
        $this->expectException(ClosedException::class);
        $bp->accessToken();
    }

    public function testB2binpayErrors(): void
    {
        try {
            self::b2binpay(['password' => 'wrong'])->login();
            $this->fail('logged in');
        } catch (AuthException $e) {
            $this->assertSame(Status::AUTH_REJECTED->value, $e->getCode());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionCode(Status::CONFIG->value);
        self::b2binpay(['no_such_key' => 1]);
    }

    public function testB2binpayVerifyCallback(): void
    {
        [$login, $password] = ['merchant', 'p@ss'];
        [$status, $amount, $tracking, $time] = ['2', '10.5', 'track-1', '2024-01-01T00:00:00+00:00'];
        $sign = hash_hmac('sha256', $status . $amount . $tracking . $time, hash('sha256', $login . $password, true));
        $this->assertTrue(B2binpay::verifyCallback($login, $password, $status, $amount, $tracking, $time, $sign));
        $this->assertFalse(B2binpay::verifyCallback($login, $password, $status, '11', $tracking, $time, $sign));
    }

    // ---- RetailCRM ----

    private static function module(): array
    {
        return [
            'code' => 'b2c-test', 'integrationCode' => 'b2c-test', 'active' => true, 'name' => 'B2C test',
            'clientId' => 'client-1', 'baseUrl' => 'https://module.example',
            'accountUrl' => 'https://module.example/account',
        ];
    }

    public function testRetailCrmTokenAndAnswers(): void
    {
        $token = RetailCrm::token('secret', 'api-key');
        $this->assertSame(hash_hmac('sha256', 'api-key', 'secret'), $token);
        $this->assertTrue(RetailCrm::verifyToken('secret', 'api-key', $token));
        $this->assertFalse(RetailCrm::verifyToken('secret', 'other', $token));
        $this->assertSame(
            ['success' => true, 'scopes' => ['integration_read'], 'registerUrl' => 'https://m.example/register'],
            json_decode(RetailCrm::configResponse(['integration_read'], 'https://m.example/register'), true),
        );
        $this->assertSame(['success' => true, 'accountUrl' => 'https://m/acc'], json_decode(RetailCrm::registerSuccess('https://m/acc'), true));
        $msg = "bad \"quote\" \\ and\nnewline";
        $this->assertSame(['success' => false, 'errorMsg' => $msg], json_decode(RetailCrm::errorResponse($msg), true));
    }

    public function testRetailCrmEditModuleAgainstSandbox(): void
    {
        $system = self::$sandbox->url . '/retailcrm';
        RetailCrm::editModule($system, self::API_KEY, self::module());
        RetailCrm::editModule($system, self::API_KEY, json_encode(self::module()), ['request_timeout_ms' => 5000]);
        try {
            RetailCrm::editModule($system, 'wrong-key', self::module());
            $this->fail('accepted a wrong key');
        } catch (B2cException $e) {
            $this->assertNotSame(0, $e->getCode());
        }
        $this->expectException(InvalidArgumentException::class);
        RetailCrm::editModule('http://example.com', self::API_KEY, self::module());
    }

    public function testRetailCrmHandleRegister(): void
    {
        $form = fn (string $token): string => http_build_query([
            'register' => ['systemUrl' => self::$sandbox->url . '/retailcrm', 'apiKey' => self::API_KEY, 'token' => $token],
        ]);
        $good = json_decode(RetailCrm::handleRegister('mod-secret', $form(RetailCrm::token('mod-secret', self::API_KEY)), self::module()), true);
        $this->assertSame(['success' => true, 'accountUrl' => 'https://module.example/account'], $good);
        $badJson = RetailCrm::handleRegister('mod-secret', $form(str_repeat('0', 64)), self::module());
        $bad = json_decode($badJson, true);
        $this->assertFalse($bad['success']);
        $this->assertNotSame('', $bad['errorMsg']);
        $this->assertStringNotContainsString(self::API_KEY, $badJson);
    }
}
