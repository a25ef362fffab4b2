<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\AccessToken;
use B2c\AuthException;
use B2c\B2binpayCounters;
use B2c\B2binpay;
use B2c\B2cException;
use B2c\Client;
use B2c\ClosedException;
use B2c\CrmOpenApi;
use B2c\FeeStatus;
use B2c\InvalidArgumentException;
use B2c\Key;
use B2c\RemoteException;
use B2c\RetailCrm;
use B2c\SignatureException;
use B2c\Status;
use PHPUnit\Framework\TestCase;

/** CRM Open API, B2BINPAY and RetailCRM through the binding, against the sandbox. */
final class ProtocolsTest extends TestCase
{
    private const API_KEY = 'sandbox-api-key';
    private static Sandbox $sandbox;
    private static Key $key;

    public static function setUpBeforeClass(): void
    {
        self::$key = Key::generate();
        self::$sandbox = Sandbox::withKey(self::$key);
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
        $this->assertSame('', CrmOpenApi::signRequest('k1', 'DELETE', $body));
        $this->assertSame('', CrmOpenApi::signRequest('k1', 'POST', ''));
    }

    public function testCrmSignRequestAcceptsTheFiveMethodsInAnyCase(): void
    {
        $body = '{"a":1}';
        foreach (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as $method) {
            $want = in_array($method, ['POST', 'PUT', 'PATCH'], true) ? 'sha256=' . hash_hmac('sha256', $body, 'k1') : '';
            foreach ([$method, strtolower($method), ucfirst(strtolower($method))] as $m) {
                $this->assertSame($want, CrmOpenApi::signRequest('k1', $m, $body), $m);
                $this->assertSame('', CrmOpenApi::signRequest('k1', $m, ''), $m);
            }
        }
    }

    /** @return array<string, array{string}> */
    public static function otherMethods(): array
    {
        $out = [];
        foreach (['FOO', 'POST ', ' POST', 'PO ST', "POST\n", '', 'HEAD', 'OPTIONS', 'GETS'] as $m) {
            $out[addcslashes($m, "\0..\37\177") ?: "(empty)"] = [$m];
        }
        return $out;
    }

    /**
     * Was: OK with no signature (""), so a typo gave an unsigned request.
     *
     * @dataProvider otherMethods
     */
    public function testCrmSignRequestRefusesOtherMethods(string $method): void
    {
        foreach (['', '{"a":1}'] as $body) {
            try {
                CrmOpenApi::signRequest('k1', $method, $body);
                $this->fail('accepted method ' . var_export($method, true));
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
            }
        }
    }

    /** @return array<string, array{string}> */
    public static function badApiKeys(): array
    {
        $out = [];
        foreach (['', "k\r\nx-evil: 1", "k\n", "k\r", "k\x01", "k\x7f"] as $k) {
            $out[addcslashes($k, "\0..\37\177") ?: "(empty)"] = [$k];
        }
        return $out;
    }

    /** @dataProvider badApiKeys */
    public function testCrmEmptyOrHeaderUnsafeApiKeyIsInvalidArgument(string $apiKey): void
    {
        $body = '{"a":1}';
        $calls = [
            'signRequest POST' => static fn () => CrmOpenApi::signRequest($apiKey, 'POST', $body),
            'signRequest GET' => static fn () => CrmOpenApi::signRequest($apiKey, 'GET', $body),
            // an exception rather than false, even for the signature the key would give
            'verifySignature' => static fn () => CrmOpenApi::verifySignature($apiKey, $body, 'sha256=' . hash_hmac('sha256', $body, $apiKey)),
        ];
        foreach ($calls as $what => $call) {
            try {
                $call();
                $this->fail("accepted by $what");
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode(), $what);
            }
        }
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

    /** Was: verified an HMAC under the empty key, which anyone can compute. */
    public function testWebhookEmptySecretIsInvalidArgument(): void
    {
        foreach (['', 'Hello, World!'] as $body) {
            $forged = hash_hmac('sha256', $body, '');
            foreach ([$forged, "sha256=$forged", str_repeat('0', 64)] as $sig) {
                try {
                    CrmOpenApi::verifyWebhook('', $body, $sig);
                    $this->fail('an empty secret was accepted');
                } catch (InvalidArgumentException $e) {
                    $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
                }
            }
            // a one-byte secret is not empty
            $this->assertTrue(CrmOpenApi::verifyWebhook("\0", $body, hash_hmac('sha256', $body, "\0")));
        }
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

    /** @return array{int, int, int} logins, refreshes, suspicious */
    private static function counts(B2binpay $bp): array
    {
        $c = $bp->counters();
        return [$c->logins, $c->refreshes, $c->suspicious];
    }

    public function testB2binpayLoginRefreshTokensCounters(): void
    {
        $bp = self::b2binpay();
        $bp->login();
        $a1 = $bp->accessToken();
        $this->assertInstanceOf(AccessToken::class, $a1);
        $t1 = $a1->token;
        $this->assertNotSame('', $t1);
        $this->assertFalse($a1->suspicious);
        $bp->refresh();
        $t2 = $bp->accessToken()->token;
        $this->assertNotSame($t1, $t2);
        $this->assertInstanceOf(B2binpayCounters::class, $bp->counters());
        $this->assertSame([1, 1, 0], self::counts($bp));
        $this->assertStringNotContainsString($t1, print_r($a1, true), 'the token is redacted in dumps');
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

    public function testRetailCrmTokenRefusesAnEmptySecretOrApiKey(): void
    {
        foreach ([['', 'api-key'], ['secret', ''], ['', '']] as [$secret, $apiKey]) {
            try {
                RetailCrm::token($secret, $apiKey);
                $this->fail("made a token for secret '$secret', API key '$apiKey'");
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
            }
        }
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

    // ---- Sandbox control surface ----
    //
    // The sandbox is shared by every test of this class, so assertions are on the *delta* of
    // a counter across the step under test, never on its absolute value.

    /** @return array<string, int> */
    private static function stats(string $vendor): array
    {
        return self::$sandbox->stats($vendor);
    }

    /**
     * @param array<string, int> $before
     * @param array<string, int> $after
     * @return array<string, int>
     */
    private static function delta(array $before, array $after): array
    {
        $d = [];
        foreach ($before as $k => $v) {
            $d[$k] = $after[$k] - $v;
        }
        return $d;
    }

    /**
     * Strict (===) comparison of two counter maps, whatever their key order.
     *
     * @param array<string, int> $want
     * @param array<string, int> $got
     */
    private function assertCounters(array $want, array $got, string $message = ''): void
    {
        ksort($want);
        ksort($got);
        $this->assertSame($want, $got, $message);
    }

    private const DEFAULT_TTLS = ['access_s' => 900, 'refresh_s' => 3600];

    // ---- B2BINPAY against the control surface ----
    //
    // Concurrent refreshers on one handle (exactly one refresh on the wire) are not tested
    // here: PHP has no threads. The Python (threading + Barrier) and C (pthreads) suites
    // cover that case.

    public function testB2binpayTamperedSignIsRejectedAndTokensDiscarded(): void
    {
        $bp = self::b2binpay();
        $bp->login();
        $t1 = $bp->accessToken()->token;
        $before = self::stats('b2binpay');
        self::$sandbox->control('b2binpay/tamper-signs', ['count' => 1]);
        try {
            $bp->login();
            $this->fail('a tampered meta.sign was accepted');
        } catch (SignatureException $e) {
            $this->assertSame(Status::RESPONSE_SIGNATURE_INVALID->value, $e->getCode());
        }
        $this->assertSame(2, $bp->counters()->logins);
        $mid = self::stats('b2binpay');
        $this->assertSame(1, self::delta($before, $mid)['token_calls']);
        // The held pair ($t1) was discarded too: the next accessToken() logs in again.
        $a2 = $bp->accessToken();
        $this->assertNotSame('', $a2->token);
        $this->assertNotSame($t1, $a2->token);
        $this->assertFalse($a2->suspicious);
        $this->assertSame([3, 0, 0], self::counts($bp));
        $d = self::delta($mid, self::stats('b2binpay'));
        $this->assertSame([1, 1, 0], [$d['token_calls'], $d['token_ok'], $d['refresh_calls']]);
        $bp->close();
    }

    public function testB2binpayTamperedSignOnFirstAccessToken(): void
    {
        self::$sandbox->control('b2binpay/tamper-signs', ['count' => 1]);
        $bp = self::b2binpay();
        try {
            $bp->accessToken();
            $this->fail('a tampered meta.sign was accepted');
        } catch (SignatureException $e) {
            $this->assertSame(Status::RESPONSE_SIGNATURE_INVALID->value, $e->getCode());
        }
        $before = self::stats('b2binpay');
        $this->assertNotSame('', $bp->accessToken()->token);
        $this->assertSame(2, $bp->counters()->logins);
        $this->assertSame(1, self::delta($before, self::stats('b2binpay'))['token_ok']);
        $bp->close();
    }

    public function testB2binpayReplayedRefreshIsSuspicious(): void
    {
        $bp = self::b2binpay();
        $bp->login();
        $a1 = $bp->accessToken();
        $t1 = $a1->token;
        $this->assertFalse($a1->suspicious);
        $before = self::stats('b2binpay');
        $this->assertGreaterThanOrEqual(1, self::$sandbox->control('b2binpay/consume-refresh')['consumed']);
        $bp->refresh(); // a replay: 401 code 2007 -> tokens dropped, logged in again
        $d = self::delta($before, self::stats('b2binpay'));
        $this->assertSame(
            ['refresh_calls' => 1, 'refresh_ok' => 0, 'refresh_rejected' => 1, 'refresh_replayed' => 1, 'token_ok' => 1],
            array_intersect_key($d, array_flip(['refresh_calls', 'refresh_ok', 'refresh_rejected', 'refresh_replayed', 'token_ok'])),
        );
        // The event was met by refresh(), so no accessToken() reports it (was: the next one
        // said suspicious = true); the counters keep the history.
        $a2 = $bp->accessToken();
        $this->assertFalse($a2->suspicious);
        $this->assertNotSame('', $a2->token);
        $this->assertNotSame($t1, $a2->token);
        $this->assertFalse($bp->accessToken()->suspicious);
        $this->assertSame([2, 1, 1], self::counts($bp));
        $bp->close();
    }

    /**
     * Log $bp in with an access token that is due at once (ttls access_s 0), then put the
     * sandbox's lifetimes back: the next accessToken() renews, and gets a normal 900 s token.
     * No sleeping.
     */
    private static function dueAtOnce(B2binpay $bp): AccessToken
    {
        self::$sandbox->control('b2binpay/ttls', ['access_s' => 0, 'refresh_s' => 3600]);
        try {
            return $bp->accessToken();
        } finally {
            self::$sandbox->control('b2binpay/ttls', self::DEFAULT_TTLS);
        }
    }

    public function testB2binpayReplayedRefreshOnTheAccessTokenPath(): void
    {
        try {
            $bp = self::b2binpay();
            $a1 = self::dueAtOnce($bp);
            $this->assertFalse($a1->suspicious);
            self::$sandbox->control('b2binpay/consume-refresh');
            $before = self::stats('b2binpay');
            $a2 = $bp->accessToken(); // its own renewal meets the replayed refresh token
            $this->assertTrue($a2->suspicious);
            $this->assertNotSame($a1->token, $a2->token);
            $this->assertSame(1, $bp->counters()->suspicious);
            $d = self::delta($before, self::stats('b2binpay'));
            $this->assertSame([1, 1, 1], [$d['refresh_calls'], $d['refresh_replayed'], $d['token_ok']]);
            // Reported once: the next answer comes from the new pair and says false (was:
            // every later accessToken() kept saying true). The counters are the history.
            $mid = self::stats('b2binpay');
            $a3 = $bp->accessToken();
            $this->assertFalse($a3->suspicious);
            $this->assertSame($a2->token, $a3->token);
            $this->assertFalse($bp->accessToken()->suspicious);
            $this->assertCounters($mid, self::stats('b2binpay'));
            $this->assertSame([2, 1, 1], self::counts($bp));
            $bp->close();
        } finally {
            self::$sandbox->control('b2binpay/ttls', self::DEFAULT_TTLS);
        }
    }

    public function testB2binpayTokenDueAtOnceIsRenewedByTheNextAccessToken(): void
    {
        try {
            $bp = self::b2binpay();
            $a0 = self::dueAtOnce($bp);
            $before = self::stats('b2binpay');
            $a1 = $bp->accessToken(); // no sleep: access_s 0 is inside the renewal window
            $this->assertNotSame('', $a1->token);
            $this->assertNotSame($a0->token, $a1->token);
            $this->assertFalse($a1->suspicious);
            $d = self::delta($before, self::stats('b2binpay'));
            $this->assertSame([1, 1, 0], [$d['refresh_calls'], $d['refresh_ok'], $d['token_calls']]);
            // the renewed token (900 s) is far from its renewal point: served from the cache
            $mid = self::stats('b2binpay');
            $this->assertSame($a1->token, $bp->accessToken()->token);
            $this->assertCounters($mid, self::stats('b2binpay'));
            $this->assertSame([1, 1, 0], self::counts($bp));
            $bp->close();
        } finally {
            self::$sandbox->control('b2binpay/ttls', self::DEFAULT_TTLS);
        }
    }

    /**
     * A token of lifetime L is renewed min(margin, L/5) before expiry: a margin longer than
     * the lifetime never makes a fresh token due (an uncapped margin would renew a 60 s
     * token on every call). The L/5-versus-L/2 point itself is not observable without
     * waiting, which these tests do not do.
     */
    public function testB2binpayRenewalMarginIsCappedByTheLifetime(): void
    {
        self::$sandbox->control('b2binpay/ttls', ['access_s' => 60, 'refresh_s' => 3600]);
        try {
            $bp = self::b2binpay(['refresh_margin_s' => 3600]);
            $t1 = $bp->accessToken()->token;
            $before = self::stats('b2binpay');
            for ($i = 0; $i < 3; $i++) {
                $this->assertSame($t1, $bp->accessToken()->token);
            }
            $this->assertCounters($before, self::stats('b2binpay'));
            $this->assertSame([1, 0, 0], self::counts($bp));
            $bp->close();
        } finally {
            self::$sandbox->control('b2binpay/ttls', self::DEFAULT_TTLS);
        }
    }

    public function testB2binpayBadInputs(): void
    {
        $before = self::stats('b2binpay');
        $bp = self::b2binpay(['password' => 'wrong']);
        try {
            $bp->accessToken();
            $this->fail('logged in with a wrong password');
        } catch (AuthException $e) {
            $this->assertSame(Status::AUTH_REJECTED->value, $e->getCode());
        }
        $this->assertSame(1, $bp->counters()->logins);
        $bp->close();
        $d = self::delta($before, self::stats('b2binpay'));
        $this->assertSame([1, 1, 0], [$d['token_calls'], $d['token_rejected'], $d['token_ok']]);

        $before = self::stats('b2binpay');
        $cases = [
            'unknown key' => [['no_such_key' => 1], Status::CONFIG],
            'http to a non-loopback host' => [['base_url' => 'http://example.com/b2binpay'], Status::INSECURE_URL],
            'login of the wrong JSON type' => [['login' => 12345], Status::CONFIG],
        ];
        foreach ($cases as $what => [$extra, $want]) {
            try {
                self::b2binpay($extra);
                $this->fail("accepted: $what");
            } catch (InvalidArgumentException $e) {
                $this->assertSame($want->value, $e->getCode(), $what);
            }
        }
        try {
            new B2binpay(['base_url' => self::$sandbox->url . '/b2binpay', 'login' => 'sandbox-login']);
            $this->fail('accepted a config without password');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::CONFIG->value, $e->getCode());
        }
        try {
            self::b2binpay(['login' => '']);
            $this->fail('accepted an empty login');
        } catch (InvalidArgumentException $e) {
            $this->assertNotSame(0, $e->getCode());
        }
        try {
            B2binpay::verifyCallback('l', 'p', 2, '1', 't', 'm', 's'); // @phpstan-ignore-line
            $this->fail('accepted an int status');
        } catch (\TypeError) {
            $this->addToAssertionCount(1);
        }
        // None of these reached the wire.
        $this->assertCounters($before, self::stats('b2binpay'));
    }

    // ---- CRM Open API against the sandbox's counters ----

    /** @return array{int, array<string, mixed>} */
    private static function crmPost(string $body, array $headers): array
    {
        $lines = [];
        foreach ($headers as $k => $v) {
            $lines[] = "$k: $v";
        }
        $ctx = stream_context_create(['http' => [
            'method' => 'POST', 'header' => implode("\r\n", $lines), 'content' => $body,
            'ignore_errors' => true, 'timeout' => 5,
        ]]);
        $raw = file_get_contents(self::$sandbox->url . '/crm/api/clients', false, $ctx);
        preg_match('#^HTTP/\S+ (\d+)#', $http_response_header[0] ?? '', $m);
        return [(int) ($m[1] ?? 0), json_decode((string) $raw, true) ?? []];
    }

    public function testCrmSandboxCountsEachRejection(): void
    {
        $body = json_encode(['client' => 'Ann', 'amount' => '10.00']);
        $ct = ['content-type' => 'application/json'];
        $zero = ['requests' => 0, 'ok' => 0, 'invalid_api_key' => 0, 'invalid_signature' => 0];

        $before = self::stats('crm');
        [$status, $answer] = self::crmPost($body, $ct + ['key' => self::API_KEY, 'signature' => CrmOpenApi::signRequest(self::API_KEY, 'POST', $body)]);
        $this->assertSame(200, $status);
        $this->assertTrue($answer['success']);
        $this->assertEquals(json_decode($body, true), $answer['body']); // the echo's key order may differ
        $this->assertCounters(['requests' => 1, 'ok' => 1] + $zero, self::delta($before, self::stats('crm')));

        // a key the CRM does not know (signed with that key: only the key is wrong)
        $before = self::stats('crm');
        [$status, $answer] = self::crmPost($body, $ct + ['key' => 'wrong-key', 'signature' => CrmOpenApi::signRequest('wrong-key', 'POST', $body)]);
        $this->assertSame(403, $status);
        $this->assertFalse($answer['success']);
        $this->assertCounters(['requests' => 1, 'invalid_api_key' => 1] + $zero, self::delta($before, self::stats('crm')));

        // the right key, a signature for other bytes than those sent
        $before = self::stats('crm');
        $sig = CrmOpenApi::signRequest(self::API_KEY, 'POST', $body);
        [$status, $answer] = self::crmPost(str_replace('10.00', '99.00', $body), $ct + ['key' => self::API_KEY, 'signature' => $sig]);
        $this->assertSame(403, $status);
        $this->assertFalse($answer['success']);
        // A body re-encoded after signing: its normal form (JSON.stringify(JSON.parse(body))) is
        // what was signed, which the default (lenient) profile accepts as the named leniency
        // crm_signature_normalized (the vendor's samples sign that way; --strict refuses it:
        // CallsTest::testCrmAgainstTheStrictProfile).
        $lenient = self::$sandbox->control('stats')['leniencies']['crm_signature_normalized'] ?? 0;
        $reencoded = json_encode(json_decode($body, true), JSON_PRETTY_PRINT);
        $this->assertNotSame($body, $reencoded);
        $this->assertSame(200, self::crmPost($reencoded, $ct + ['key' => self::API_KEY, 'signature' => $sig])[0]);
        $this->assertSame($lenient + 1, self::$sandbox->control('stats')['leniencies']['crm_signature_normalized'] ?? 0);
        $this->assertSame(403, self::crmPost($body, $ct + ['key' => self::API_KEY])[0]); // no signature at all
        $this->assertCounters(['requests' => 3, 'ok' => 1, 'invalid_signature' => 2] + $zero, self::delta($before, self::stats('crm')));
    }

    /**
     * The vendor's PHP sample, as it means to sign: hash_hmac over json_encode of the decoded
     * body (as printed it encodes the PSR-7 stream object, always "{}"). With a URL and a
     * non-ASCII name, that form differs from the raw body and from JSON.stringify's; the
     * lenient sandbox accepts it as crm_signature_php_normalized.
     */
    public function testCrmVendorPhpSampleSignatureIsAcceptedAsALeniency(): void
    {
        $generate_signature = static function (string $body): string { // the sample, fixed
            $signature = hash_hmac('sha256', json_encode(json_decode($body)), self::API_KEY);
            return 'sha256=' . $signature;
        };
        $body = '{"name": "Jürgen", "callback": "https://crm.example/hooks/1", "amount": "10.00"}';
        $ct = ['content-type' => 'application/json'];
        $count = static fn (string $n): int => self::$sandbox->control('stats')['leniencies'][$n] ?? 0;
        [$php, $js] = [$count('crm_signature_php_normalized'), $count('crm_signature_normalized')];
        $sig = $generate_signature($body);
        $this->assertNotSame(CrmOpenApi::signRequest(self::API_KEY, 'POST', $body), $sig);
        [$status, $answer] = self::crmPost($body, $ct + ['key' => self::API_KEY, 'signature' => $sig]);
        $this->assertSame(200, $status);
        $this->assertSame('php_normalized', $answer['signed']);
        $this->assertSame($php + 1, $count('crm_signature_php_normalized'));
        $this->assertSame($js, $count('crm_signature_normalized'));
        // The sample as printed (json_encode of a stream object is "{}") proves nothing about
        // the body, and is refused.
        [$status] = self::crmPost($body, $ct + ['key' => self::API_KEY, 'signature' => 'sha256=' . hash_hmac('sha256', '{}', self::API_KEY)]);
        $this->assertSame(403, $status);
        // A PHP signature over another body is refused.
        [$status] = self::crmPost(str_replace('10.00', '99.00', $body), $ct + ['key' => self::API_KEY, 'signature' => $sig]);
        $this->assertSame(403, $status);
    }

    public function testCrmWebhookTamperingAndSignatureEdgeCases(): void
    {
        [$secret, $body] = ['whsec', '{"event":"deposit","amount":"10.00"}'];
        $sig = hash_hmac('sha256', $body, $secret);
        $this->assertTrue(CrmOpenApi::verifyWebhook($secret, $body, $sig));
        $this->assertFalse(CrmOpenApi::verifyWebhook($secret, str_replace('10.00', '10.01', $body), $sig));
        $flipped = ($sig[0] === '0' ? '1' : '0') . substr($sig, 1);
        $this->assertFalse(CrmOpenApi::verifyWebhook($secret, $body, $flipped));
        $this->assertFalse(CrmOpenApi::verifyWebhook($secret, $body, substr($sig, 0, -2)));
        $this->assertFalse(CrmOpenApi::verifyWebhook($secret, $body, ''));
        $this->assertFalse(CrmOpenApi::verifyWebhook('other', $body, $sig));
        $this->assertFalse(CrmOpenApi::verifyWebhook($secret, '', $sig));
        $s = CrmOpenApi::signRequest('k', 'POST', $body);
        $this->assertTrue(CrmOpenApi::verifySignature('k', $body, $s));
        $this->assertFalse(CrmOpenApi::verifySignature('k', $body, substr($s, 0, -1) . ($s[-1] === '0' ? '1' : '0')));
        $this->assertFalse(CrmOpenApi::verifySignature('k', substr($body, 0, -1), $s));
    }

    public function testCrmBadInputTypesThrow(): void
    {
        $calls = [
            'api key int' => static fn () => CrmOpenApi::signRequest(123, 'POST', 'x'),
            'method null' => static fn () => CrmOpenApi::signRequest('k', null, 'x'),
            'body array' => static fn () => CrmOpenApi::verifySignature('k', ['a' => 1], 'sha256=00'),
            'signature null' => static fn () => CrmOpenApi::verifySignature('k', 'x', null),
            'secret null' => static fn () => CrmOpenApi::verifyWebhook(null, 'x', '00'),
        ];
        foreach ($calls as $what => $call) {
            try {
                $call();
                $this->fail("accepted: $what");
            } catch (\TypeError) {
                $this->addToAssertionCount(1);
            }
        }
    }

    // ---- RetailCRM against the sandbox's counters ----

    private static function registerForm(string $apiKey, string $token): string
    {
        return http_build_query([
            'register' => ['systemUrl' => self::$sandbox->url . '/retailcrm', 'apiKey' => $apiKey, 'token' => $token],
        ]);
    }

    private static function moduleCode(string $code): array
    {
        return ['code' => $code, 'integrationCode' => $code] + self::module();
    }

    public function testRetailCrmRegisterWrongTokenMakesNoOutgoingCall(): void
    {
        $module = self::moduleCode('b2c-php-reg-ctl');
        $secret = 'mod-secret';
        $tokens = [str_repeat('0', 64), RetailCrm::token('other-secret', self::API_KEY), RetailCrm::token($secret, 'other-key'), ''];
        foreach ($tokens as $token) {
            $before = self::stats('retailcrm');
            $answer = json_decode(RetailCrm::handleRegister($secret, self::registerForm(self::API_KEY, $token), $module), true);
            $this->assertFalse($answer['success']);
            $this->assertNotSame('', $answer['errorMsg']);
            $this->assertCounters($before, self::stats('retailcrm'), "wrong token '$token' caused an outgoing call");
        }
        // The right token: one edit call, accepted. The module is created first so that this
        // edit is an update: the sandbox's edit_ok counts HTTP 200 only, and a first-time
        // edit of a module code is answered 201.
        RetailCrm::editModule(self::$sandbox->url . '/retailcrm', self::API_KEY, $module);
        $before = self::stats('retailcrm');
        $answer = json_decode(RetailCrm::handleRegister($secret, self::registerForm(self::API_KEY, RetailCrm::token($secret, self::API_KEY)), $module), true);
        $this->assertSame(['success' => true, 'accountUrl' => $module['accountUrl']], $answer);
        $this->assertCounters(['edit_calls' => 1, 'edit_ok' => 1], self::delta($before, self::stats('retailcrm')));
    }

    public function testRetailCrmRegisterWithAKeyTheSystemRejects(): void
    {
        $secret = 'mod-secret';
        $before = self::stats('retailcrm');
        $raw = RetailCrm::handleRegister($secret, self::registerForm('revoked-key', RetailCrm::token($secret, 'revoked-key')), self::moduleCode('b2c-php-reg-revoked'));
        $answer = json_decode($raw, true);
        $this->assertFalse($answer['success']);
        $this->assertNotSame('', $answer['errorMsg']);
        $this->assertStringNotContainsString('revoked-key', $raw);
        $this->assertCounters(['edit_calls' => 1, 'edit_ok' => 0], self::delta($before, self::stats('retailcrm')));
    }

    public function testRetailCrmEditModuleErrorsAgainstSandbox(): void
    {
        $system = self::$sandbox->url . '/retailcrm';
        $before = self::stats('retailcrm');
        try {
            RetailCrm::editModule($system, 'wrong-key', self::moduleCode('b2c-php-edit-ctl'));
            $this->fail('accepted a wrong API key');
        } catch (RemoteException $e) {
            $this->assertSame(Status::REMOTE->value, $e->getCode());
            $this->assertStringContainsString('apiKey', $e->getMessage()); // errorMsg: Wrong "apiKey" value.
            $this->assertSame(403, $e->getHttpStatus());
        }
        $this->assertCounters(['edit_calls' => 1, 'edit_ok' => 0], self::delta($before, self::stats('retailcrm')));

        $before = self::stats('retailcrm');
        try {
            RetailCrm::editModule('http://example.com', self::API_KEY, self::moduleCode('b2c-php-edit-ctl'));
            $this->fail('accepted plain http to a non-loopback host');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::INSECURE_URL->value, $e->getCode());
        }
        try {
            RetailCrm::editModule($system, self::API_KEY, '{not json');
            $this->fail('accepted a malformed module');
        } catch (InvalidArgumentException $e) {
            $this->assertNotSame(0, $e->getCode());
        }
        foreach ([
            'api key null' => static fn () => RetailCrm::editModule($system, null, self::module()),
            'form body int' => static fn () => RetailCrm::handleRegister('s', 42, self::module()),
            'module int' => static fn () => RetailCrm::editModule($system, 'k', 42),
        ] as $what => $call) {
            try {
                $call();
                $this->fail("accepted: $what");
            } catch (\TypeError) {
                $this->addToAssertionCount(1);
            }
        }
        $this->assertCounters($before, self::stats('retailcrm'));
    }

    // ---- B2COPY token renewal against the control surface ----

    public function testB2copyRefreshesAfterAccessExpiry(): void
    {
        $c = new Client(self::$sandbox->config(self::$key));
        $c->authenticate();
        $before = self::stats('b2copy');
        self::$sandbox->control('b2copy/expire-access');
        $r = $c->feeProcess('123456', Sandbox::requestId('php-exp'));
        $this->assertContains($r->status, [FeeStatus::PENDING, FeeStatus::SUCCESS]);
        $d = self::delta($before, self::stats('b2copy'));
        // 401 on processext -> one refresh -> the request again
        $this->assertSame([1, 0, 0, 2], [$d['refresh_ok'], $d['refresh_rejected'], $d['auth_ok'], $d['process_calls']]);
        $c->close();
    }

    public function testB2copyReauthenticatesWhenRefreshIsRevoked(): void
    {
        $c = new Client(self::$sandbox->config(self::$key));
        $c->authenticate();
        $before = self::stats('b2copy');
        self::$sandbox->control('b2copy/expire-access');
        self::$sandbox->control('b2copy/revoke-refresh');
        $r = $c->feeProcess('123456', Sandbox::requestId('php-rev'));
        $this->assertContains($r->status, [FeeStatus::PENDING, FeeStatus::SUCCESS]);
        $d = self::delta($before, self::stats('b2copy'));
        $this->assertSame([0, 1, 1, 0], [$d['refresh_ok'], $d['refresh_rejected'], $d['auth_ok'], $d['auth_rejected']]);
        $c->close();
    }
}
