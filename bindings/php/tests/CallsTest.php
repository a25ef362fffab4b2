<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\AuthException;
use B2c\B2binpay;
use B2c\Client;
use B2c\ClosedException;
use B2c\Crm;
use B2c\InvalidArgumentException;
use B2c\Key;
use B2c\LogRouting;
use B2c\ProtocolException;
use B2c\Registration;
use B2c\Response;
use B2c\RetailCrm;
use B2c\Status;
use PHPUnit\Framework\TestCase;

/**
 * The generic calls (Client::call(), B2binpay::call(), Client::accessToken()), the CRM Open
 * API handle (B2c\Crm) and RetailCRM multi-account registration (RetailCrm::registerAccount),
 * against a sandbox of this class's own (default, lenient profile: its echo endpoints are on).
 * Assertions on the sandbox's counters are on deltas.
 */
final class CallsTest extends TestCase
{
    private const API_KEY = 'sandbox-api-key';
    private const SECRET = 'mod-secret';

    private static Key $key;
    private static Sandbox $sandbox;

    public static function setUpBeforeClass(): void
    {
        self::$key = Key::generate();
        self::$sandbox = Sandbox::withKey(self::$key);
    }

    public static function tearDownAfterClass(): void
    {
        self::$sandbox->stop();
    }

    protected function tearDown(): void
    {
        // A test may replace the process-wide logger: put the suite-wide one back.
        ScanLog::restore();
    }

    private static function client(array $extra = []): Client
    {
        return new Client(array_merge(self::$sandbox->config(self::$key), $extra));
    }

    private static function b2binpay(): B2binpay
    {
        return new B2binpay([
            'base_url' => self::$sandbox->url . '/b2binpay',
            'login' => 'sandbox-login',
            'password' => 'sandbox-password',
        ]);
    }

    private static function crm(array $extra = []): Crm
    {
        return new Crm(array_merge(['base_url' => self::$sandbox->url . '/crm', 'api_key' => self::API_KEY], $extra));
    }

    /** @return array<string, int> */
    private static function stats(string $vendor): array
    {
        return self::$sandbox->stats($vendor);
    }

    /** @return array<string, int> */
    private static function delta(array $before, array $after): array
    {
        $d = [];
        foreach ($after as $k => $v) {
            $d[$k] = $v - ($before[$k] ?? 0);
        }
        return $d;
    }

    /**
     * One request with PHP's own HTTP stack (not libb2c): [status, body].
     *
     * @param array<string, string> $headers
     * @return array{int, string}
     */
    private static function http(string $method, string $url, array $headers = [], string $body = ''): array
    {
        $lines = [];
        foreach ($headers as $k => $v) {
            $lines[] = "$k: $v";
        }
        $ctx = stream_context_create(['http' => [
            'method' => $method, 'header' => implode("\r\n", $lines), 'content' => $body,
            'ignore_errors' => true, 'timeout' => 5,
        ]]);
        $raw = file_get_contents($url, false, $ctx);
        preg_match('#^HTTP/\S+ (\d+)#', $http_response_header[0] ?? '', $m);
        return [(int) ($m[1] ?? 0), (string) $raw];
    }

    // ---- the Response type ----

    public function testResponseShape(): void
    {
        $r = new \ReflectionClass(Response::class);
        $this->assertTrue($r->isFinal());
        $props = [];
        foreach ($r->getProperties() as $p) {
            $this->assertTrue($p->isPublic() && $p->isReadOnly(), "Response::\${$p->getName()} is public readonly");
            $props[$p->getName()] = (string) $p->getType();
        }
        $this->assertSame(['status' => 'int', 'body' => 'string'], $props);
        $this->assertSame('mixed', (string) $r->getMethod('json')->getReturnType());

        $resp = new Response(200, '{"a":{"b":[1,2]},"big":12345678901234567890,"x":1.5}');
        $this->assertSame(['a' => ['b' => [1, 2]], 'big' => '12345678901234567890', 'x' => 1.5], $resp->json());
        $this->assertEquals((object) ['b' => [1, 2]], $resp->json(false)->a);
        $this->assertIsFloat((new Response(200, '12345678901234567890'))->json(true, 0), 'flags replace the default');
        foreach (['', 'not json', '{"a":'] as $body) {
            try {
                (new Response(500, $body))->json();
                $this->fail("decoded '$body'");
            } catch (\JsonException) {
                $this->addToAssertionCount(1);
            }
        }
    }

    // ---- B2COPY ----

    public function testB2copyCallEchoesMethodPathQueryAndBody(): void
    {
        $c = self::client();
        $before = self::stats('b2copy');
        $r = $c->call('GET', '/api/admin/whatever?x=1');
        $this->assertInstanceOf(Response::class, $r);
        $this->assertSame(200, $r->status, $r->body);
        $echo = $r->json();
        $this->assertSame(['GET', '/api/admin/whatever', 'x=1', null], [$echo['method'], $echo['path'], $echo['query'], $echo['body']]);

        // A JSON body is sent as it is (a big integer stays exact: this is not the CRM handle).
        $body = "{\"a\": [1, 2], \"name\": \"J\u{fc}rgen\", \"n\": 12345678901234567890}";
        $r = $c->call('POST', '/api/admin/v2/other/post', $body);
        $this->assertSame(200, $r->status, $r->body);
        $echo = $r->json();
        $this->assertSame(['POST', '/api/admin/v2/other/post', ''], [$echo['method'], $echo['path'], $echo['query']]);
        $this->assertEquals(['a' => [1, 2], 'name' => "J\u{fc}rgen", 'n' => '12345678901234567890'], $echo['body']); // the echo's key order may differ
        $this->assertSame('12345678901234567890', $echo['body']['n']);

        // PUT, PATCH, DELETE too; an empty body is no body.
        foreach (['PUT', 'PATCH', 'DELETE'] as $method) {
            $echo = $c->call($method, "/api/admin/v2/m/$method", $method === 'DELETE' ? null : '{"k":true}')->json();
            $this->assertSame([$method, "/api/admin/v2/m/$method"], [$echo['method'], $echo['path']]);
            $this->assertSame($method === 'DELETE' ? null : ['k' => true], $echo['body'], $method);
        }
        $this->assertNull($c->call('POST', '/api/admin/v2/empty', '')->json()['body']);
        $this->assertSame('PATCH', $c->call('patch', '/api/admin/v2/lower', '{}')->json()['method'], 'any case');

        $d = self::delta($before, self::stats('b2copy'));
        $this->assertSame([1, 7], [$d['auth_ok'], $d['other_calls']], 'one authentication, then every call reached the sandbox');
        $s = $c->stats();
        $this->assertSame(7, $s->latency['call']->count ?? null, $s->json);
        $this->assertSame(8, $s->requests);
        $c->close();
        $this->expectException(ClosedException::class);
        $c->call('GET', '/api/admin/whatever');
    }

    public function testB2copyCallRefreshesAfterTheAccessTokenExpired(): void
    {
        $c = self::client();
        $c->authenticate();
        $before = self::stats('b2copy');
        self::$sandbox->control('b2copy/expire-access');
        $r = $c->call('POST', '/api/admin/v2/other/post', '{"after":"expiry"}');
        $this->assertSame(200, $r->status, $r->body);
        $this->assertSame(['after' => 'expiry'], $r->json()['body']);
        $d = self::delta($before, self::stats('b2copy'));
        // 401 -> one refresh -> the request again (both reached the sandbox)
        $this->assertSame([1, 0, 0, 2], [$d['refresh_ok'], $d['refresh_rejected'], $d['auth_ok'], $d['other_calls']]);
        $this->assertSame([1, 1], [$c->stats()->refreshes, $c->stats()->unauthorized]);
        $c->close();
    }

    public function testB2copyNonSuccessAnswersAreResultsNotExceptions(): void
    {
        $c = self::client();
        $r = $c->call('DELETE', '/nowhere');
        $this->assertSame(404, $r->status);
        $this->assertSame('not found', $r->json()['message'] ?? null, $r->body);
        // an answer of the B2COPY API that is an error: still a Response
        self::$sandbox->control('faults', ['path' => '/api/admin/v2/fails', 'fault' => '500', 'times' => 1]);
        $r = $c->call('POST', '/api/admin/v2/fails', '{}');
        $this->assertSame(500, $r->status, 'a POST is not retried on a 5xx: the answer is returned');
        $c->close();
    }

    /** @return array<string, array{string, string}> */
    public static function refusedRequests(): array
    {
        return [
            'relative path' => ['GET', 'api/x'],
            'scheme-relative' => ['GET', '//evil.example/x'],
            'absolute URL' => ['GET', 'http://evil.example/x'],
            'space' => ['GET', '/a b'],
            'dot-dot segment' => ['GET', '/api/../b'],
            'dot segment' => ['GET', '/api/./b'],
            'fragment' => ['GET', '/x#y'],
            'non-ASCII' => ['GET', "/api/j\u{fc}rgen"],
            'control character' => ['GET', "/api/x\r\nHost: evil"],
            'empty path' => ['GET', ''],
            'NUL in the path' => ['GET', "/api/ok\0/../../evil"],
            'unknown method' => ['FOO', '/api/x'],
            'HEAD' => ['HEAD', '/api/x'],
            'method with a space' => ['GET ', '/api/x'],
            'NUL in the method' => ["GET\0X", '/api/x'],
            'empty method' => ['', '/api/x'],
        ];
    }

    /** @dataProvider refusedRequests */
    public function testB2copyRefusesBadMethodsAndPathsBeforeSending(string $method, string $path): void
    {
        $c = self::client();
        $c->authenticate();
        $before = self::stats('b2copy');
        try {
            $c->call($method, $path);
            $this->fail('sent ' . var_export([$method, $path], true));
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode(), $e->getMessage());
        }
        try {
            $c->call($method, $path, '{}', true);
            $this->fail('sent with options ' . var_export([$method, $path], true));
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode(), $e->getMessage());
        }
        $this->assertSame(self::stats('b2copy'), $before, 'nothing reached the sandbox');
        $this->assertSame(0, $c->stats()->latency['call']->count ?? 0);
        $c->close();
    }

    /**
     * The idempotent option reaches the library (b2c_client_call_with): a 503 answered once
     * is retried for an idempotent call and returned as is for one that is not.
     */
    public function testB2copyIdempotentOptionDecidesTheRetry(): void
    {
        $c = self::client(['retry_base_ms' => 1, 'retry_max_ms' => 5]);
        $c->authenticate();
        $cases = [
            // [method, idempotent, expected status, retries]
            ['POST', null, 503, 0],  // the method's default: POST is not idempotent
            ['POST', true, 200, 1],
            ['POST', false, 503, 0],
            ['GET', null, 200, 1],   // GET is
            ['GET', false, 503, 0],
            ['PUT', null, 200, 1],
            ['PATCH', true, 200, 1],
        ];
        foreach ($cases as [$method, $idempotent, $want, $retries]) {
            $what = "$method idempotent=" . var_export($idempotent, true);
            $path = '/api/admin/v2/idem';
            self::$sandbox->control('faults', ['path' => $path, 'fault' => '503', 'times' => 1]);
            $before = $c->stats();
            $r = $c->call($method, $path, $method === 'GET' ? null : '{"n":1}', $idempotent);
            $this->assertSame($want, $r->status, "$what: {$r->body}");
            $after = $c->stats();
            $this->assertSame($retries, $after->retries - $before->retries, $what);
            $this->assertSame($retries, ($after->retriesByCause['status_5xx'] ?? 0) - ($before->retriesByCause['status_5xx'] ?? 0), $what);
            if ($want === 200) {
                $this->assertSame($method, $r->json()['method'], $what);
            }
        }
        self::$sandbox->control('faults/clear');
        $c->close();
    }

    public function testB2copyAccessTokenWorksWithAnotherHttpStack(): void
    {
        $c = self::client();
        $before = self::stats('b2copy');
        $token = $c->accessToken();
        $this->assertIsString($token);
        $this->assertNotSame('', $token);
        $this->assertSame($token, $c->accessToken(), 'a valid token is served from the client');
        $this->assertSame(1, self::delta($before, self::stats('b2copy'))['auth_ok']);

        [$status, $raw] = self::http('GET', self::$sandbox->url . '/api/admin/v2/own-stack?y=2', ['Authorization' => "Bearer $token"]);
        $this->assertSame(200, $status, $raw);
        $echo = json_decode($raw, true);
        $this->assertSame(['GET', '/api/admin/v2/own-stack', 'y=2'], [$echo['method'], $echo['path'], $echo['query']]);
        // the sandbox does check the token
        $this->assertSame(401, self::http('GET', self::$sandbox->url . '/api/admin/v2/own-stack', ['Authorization' => 'Bearer sbx_wrong'])[0]);
        $this->assertSame(401, self::http('GET', self::$sandbox->url . '/api/admin/v2/own-stack')[0]);

        $this->assertStringNotContainsString($token, print_r($c, true));
        $c->close();
        $this->expectException(ClosedException::class);
        $c->accessToken();
    }

    // ---- B2BINPAY ----

    public function testB2binpayCallEchoes(): void
    {
        $bp = self::b2binpay();
        $before = self::stats('b2binpay');
        $r = $bp->call('GET', '/api/v3/wallet/?page=1');
        $this->assertSame(200, $r->status, $r->body);
        $echo = $r->json();
        $this->assertSame(['GET', '/b2binpay/api/v3/wallet/', 'page=1', null], [$echo['method'], $echo['path'], $echo['query'], $echo['body']]);

        $payout = '{"data":{"type":"payout","attributes":{"amount":"10.50"}}}';
        $r = $bp->call('POST', '/api/v3/payout/', $payout, false);
        $this->assertSame(200, $r->status, $r->body);
        $this->assertEquals(json_decode($payout, true), $r->json()['body']); // the echo's key order may differ
        $this->assertSame('10.50', $r->json()['body']['data']['attributes']['amount']);

        $d = self::delta($before, self::stats('b2binpay'));
        $this->assertSame([1, 2], [$d['token_ok'], $d['other_calls']], 'one login, two calls');
        $this->assertSame(2, $bp->stats()->latency['call']->count ?? null, $bp->stats()->json);
        // an error answer is a Response too (a POST is not retried on a 5xx)
        self::$sandbox->control('faults', ['path' => '/b2binpay/api/v3/payout/', 'fault' => '502', 'times' => 1]);
        $this->assertSame(502, $bp->call('POST', '/api/v3/payout/', $payout)->status);

        $before = self::stats('b2binpay');
        foreach ([['FOO', '/api/v3/wallet/'], ['GET', 'api/v3/wallet/'], ['GET', '/api/../token/'], ["GET\0", '/api/v3/wallet/']] as [$m, $p]) {
            try {
                $bp->call($m, $p);
                $this->fail('sent ' . var_export([$m, $p], true));
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
            }
        }
        $this->assertSame($before, self::stats('b2binpay'), 'nothing reached the sandbox');
        $bp->close();
        $this->expectException(ClosedException::class);
        $bp->call('GET', '/api/v3/wallet/');
    }

    // ---- CRM Open API handle ----

    public function testCrmPrettyPrintedBodyIsSentInItsNormalFormAndAccepted(): void
    {
        $crm = self::crm();
        $before = self::$sandbox->control('stats');
        $pretty = json_encode(['client' => "J\u{fc}rgen", 'amount' => 1.5, 'tags' => ['a', 'b']], JSON_PRETTY_PRINT);
        $this->assertStringContainsString("\n", $pretty);
        $r = $crm->call('POST', '/api/clients', $pretty);
        $this->assertSame(200, $r->status, $r->body);
        $echo = $r->json();
        $this->assertTrue($echo['success']);
        $this->assertSame(['POST', '/crm/api/clients'], [$echo['method'], $echo['path']]);
        $this->assertEquals(json_decode($pretty, true), $echo['body']);
        // The signature covers the very bytes the sandbox received (the normal form was sent),
        // not a re-encoding of them: no leniency was needed.
        $this->assertSame('raw', $echo['signed']);
        $after = self::$sandbox->control('stats');
        $this->assertSame(['invalid_api_key' => 0, 'invalid_signature' => 0, 'ok' => 1, 'requests' => 1], self::delta($before['crm'], $after['crm']));
        $this->assertSame($before['leniencies']['crm_signature_normalized'] ?? 0, $after['leniencies']['crm_signature_normalized'] ?? 0);

        // GET with a query; PUT, PATCH, DELETE
        $r = $crm->call('GET', '/api/clients?id=7');
        $this->assertSame([200, 'GET', 'id=7'], [$r->status, $r->json()['method'], $r->json()['query']]);
        foreach (['PUT', 'PATCH'] as $m) {
            $this->assertSame(200, $crm->call($m, '/api/clients/7', '{ "x" : 1 }')->status, $m);
        }
        $this->assertSame(200, $crm->call('DELETE', '/api/clients/7')->status);
        $this->assertSame(5, $crm->stats()->requests);
        $crm->close();
    }

    /**
     * Against the --strict profile (no leniency: the signature must cover the bytes received)
     * the handle's calls are accepted in both modes, since it signs what it sends; a body
     * signed before a re-encoding (what the lenient profile accepts) is refused there.
     */
    public function testCrmAgainstTheStrictProfile(): void
    {
        $strict = new Sandbox(['--strict']);
        try {
            $this->assertSame('strict', $strict->control('stats')['profile']);
            $crm = new Crm(['base_url' => $strict->url . '/crm', 'api_key' => self::API_KEY]);
            $pretty = json_encode(['client' => 'Ann', 'amount' => '10.00', 'n' => 1.5], JSON_PRETTY_PRINT);
            $this->assertSame(200, $crm->call('POST', '/api/clients', $pretty)->status);
            $this->assertSame(200, $crm->call('POST', '/api/clients', $pretty, null, true)->status);
            $this->assertSame(200, $crm->call('POST', '/api/clients', '{"amount": 12345678901234567890}', null, true)->status);
            $this->assertSame(['invalid_api_key' => 0, 'invalid_signature' => 0, 'ok' => 3, 'requests' => 3], $strict->stats('crm'));
            $this->assertSame([], $strict->control('stats')['leniencies']);

            $compact = json_encode(json_decode($pretty, true));
            [$status] = self::http('POST', $strict->url . '/crm/api/clients', [
                'key' => self::API_KEY, 'content-type' => 'application/json',
                'signature' => \B2c\CrmOpenApi::signRequest(self::API_KEY, 'POST', $compact),
            ], $pretty);
            $this->assertSame(403, $status, 'strict: a signature over a re-encoding of the bytes sent is refused');
            $crm->close();
        } finally {
            $strict->stop();
        }
    }

    public function testCrmBigIntegerNeedsRawMode(): void
    {
        $crm = self::crm();
        $before = self::stats('crm');
        $big = '{"amount": 12345678901234567890}';
        foreach ([[null, null], [null, false], [true, false]] as [$idempotent, $raw]) {
            try {
                $crm->call('POST', '/api/clients', $big, $idempotent, $raw);
                $this->fail('a big integer was sent in the normal form');
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
                $this->assertStringContainsString('raw mode', $e->getMessage());
            }
        }
        foreach (['{"a":1,"a":2}', 'not json', '{"x":0.1000000000000000055511151231257827}'] as $body) {
            try {
                $crm->call('POST', '/api/clients', $body);
                $this->fail("sent in the normal form: $body");
            } catch (InvalidArgumentException $e) {
                $this->assertStringContainsString('raw', $e->getMessage(), $body);
            }
        }
        $this->assertSame($before, self::stats('crm'), 'nothing was sent');

        // The same body in raw mode: sent and signed untouched.
        $r = $crm->call('POST', '/api/clients', $big, null, true);
        $this->assertSame(200, $r->status, $r->body);
        $this->assertSame(['amount' => '12345678901234567890'], $r->json()['body']);
        $this->assertSame('raw', $r->json()['signed']);

        // raw_body in the configuration; raw: false overrides it for one call.
        $rawCrm = self::crm(['raw_body' => true]);
        $this->assertSame(200, $rawCrm->call('POST', '/api/clients', $big)->status);
        $this->assertSame(200, $rawCrm->call('POST', '/api/clients', "not json, but raw", true)->status);
        try {
            $rawCrm->call('POST', '/api/clients', $big, null, false);
            $this->fail('raw: false did not override raw_body');
        } catch (InvalidArgumentException $e) {
            $this->assertStringContainsString('raw mode', $e->getMessage());
        }
        $d = self::delta($before, self::stats('crm'));
        $this->assertSame([3, 3, 0], [$d['requests'], $d['ok'], $d['invalid_signature']]);
        $this->assertSame(1, $crm->stats()->requests);
        $this->assertSame(2, $rawCrm->stats()->requests);
        $crm->close();
        $rawCrm->close();
    }

    public function testCrmRejectionsAndBadInputs(): void
    {
        $before = self::stats('crm');
        $wrong = self::crm(['api_key' => 'not-registered']);
        foreach ([['GET', '/api/x', null], ['POST', '/api/clients', '{"a":1}']] as [$m, $p, $b]) {
            try {
                $wrong->call($m, $p, $b);
                $this->fail("$m with a wrong API key");
            } catch (AuthException $e) {
                $this->assertSame(Status::AUTH_REJECTED->value, $e->getCode());
                $this->assertSame(403, $e->getHttpStatus());
                $this->assertStringNotContainsString('not-registered', $e->getMessage(), 'the API key is not in the message');
            }
        }
        $this->assertSame(['invalid_api_key' => 2, 'invalid_signature' => 0, 'ok' => 0, 'requests' => 2], self::delta($before, self::stats('crm')));
        $this->assertSame(2, $wrong->stats()->requests);
        $wrong->close();

        $crm = self::crm();
        $before = self::stats('crm');
        foreach ([
            'GET with a body' => ['GET', '/api/x', '{}'],
            'DELETE with a body' => ['DELETE', '/api/x', '{}'],
            'unknown method' => ['FOO', '/api/x', null],
            'relative path' => ['GET', 'api/x', null],
            'dot-dot' => ['GET', '/api/../x', null],
            'NUL in the path' => ['GET', "/api/x\0y", null],
        ] as $what => [$m, $p, $b]) {
            try {
                $crm->call($m, $p, $b);
                $this->fail("sent: $what");
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode(), $what);
            }
        }
        $this->assertSame($before, self::stats('crm'), 'nothing was sent');
        $this->assertSame(0, $crm->stats()->requests);
        $crm->close();
        $crm->close(); // twice is fine
        $this->assertTrue($crm->isClosed());
        foreach ([static fn () => $crm->call('GET', '/api/x'), static fn () => $crm->stats(), static fn () => $crm->setLogger(new CollectingLogger())] as $call) {
            try {
                $call();
                $this->fail('a closed Crm was used');
            } catch (ClosedException $e) {
                $this->assertSame(Status::NULL_POINTER->value, $e->getCode());
            }
        }
    }

    public function testCrmConfiguration(): void
    {
        foreach ([
            'no api_key' => [['base_url' => 'https://crm.example'], Status::CONFIG],
            'unknown key' => [['base_url' => 'https://crm.example', 'api_key' => 'k', 'no_such_key' => 1], Status::CONFIG],
            'empty' => [[], Status::CONFIG],
            'http to a non-loopback host' => [['base_url' => 'http://crm.example', 'api_key' => 'k'], Status::INSECURE_URL],
        ] as $what => [$config, $want]) {
            try {
                new Crm($config);
                $this->fail("accepted: $what");
            } catch (InvalidArgumentException $e) {
                $this->assertSame($want->value, $e->getCode(), "$what: {$e->getMessage()}");
            }
        }
        try {
            new Crm(['base_url' => 'https://crm.example', 'api_key' => "\xff"]);
            $this->fail('accepted a non-UTF-8 config');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::CONFIG->value, $e->getCode());
        }
        $crm = new Crm(['base_url' => 'https://crm.example', 'api_key' => 'secret-key-123', 'deadline_ms' => 5000]);
        $this->assertStringNotContainsString('secret-key-123', print_r($crm, true));
        $this->assertSame(0, $crm->stats()->requests);
    }

    public function testCrmOwnLoggerAndStats(): void
    {
        $base = LogRouting::trackedHandles();
        $log = new CollectingLogger();
        $crm = self::crm();
        $crm->setLogger($log, 'debug');
        $this->assertSame($base + 1, LogRouting::trackedHandles());
        $crm->call('POST', '/api/clients', '{"a":1}');
        $crm->call('GET', '/api/clients');
        $requests = $log->events('request');
        $this->assertCount(2, $requests, $log->dump());
        $this->assertSame('debug', $requests[0]['level']);
        foreach ($log->records as $r) {
            $this->assertStringNotContainsString(self::API_KEY, $r['message'] . json_encode($r['context']), 'the API key is redacted');
        }
        $s = $crm->stats();
        $this->assertSame([2, 0, 0], [$s->requests, $s->retries, $s->authExchanges]);
        $this->assertSame(2, $s->latency['call']->count ?? null, $s->json);
        $this->assertGreaterThanOrEqual(1, $s->connectionsOpened);

        // info: no request events; null removes it
        $crm->setLogger($log, 'info');
        $n = count($log->records);
        $crm->call('GET', '/api/clients');
        $this->assertCount($n, $log->records, $log->dump());
        $crm->setLogger($log, 'debug');
        $crm->setLogger(null);
        $this->assertSame($base, LogRouting::trackedHandles());
        $crm->call('GET', '/api/clients');
        $this->assertCount($n, $log->records);

        // close() and the destructor remove it; the process-wide logger takes the events of a Crm without one
        $crm->setLogger($log, 'debug');
        $crm->close();
        $this->assertSame($base, LogRouting::trackedHandles(), 'close() removed the callback');
        $gone = self::crm();
        $gone->setLogger($log, 'debug');
        $this->assertSame($base + 1, LogRouting::trackedHandles());
        unset($gone);
        $this->assertSame($base, LogRouting::trackedHandles(), 'the destructor removed the callback');
        $global = new CollectingLogger();
        \B2c\B2c::setLogger($global, 'debug');
        $other = self::crm();
        $n = count($log->records);
        $other->call('GET', '/api/clients');
        $this->assertCount($n, $log->records, 'a new Crm does not inherit a freed one\'s logger');
        $this->assertCount(1, $global->events('request'), $global->dump());
        $other->close();
    }

    /** What register_shutdown_function runs at the end of the request, called here directly. */
    public function testShutdownRemovesTheCrmsCallback(): void
    {
        $own = new CollectingLogger();
        $crm = self::crm();
        $crm->setLogger($own, 'debug');
        $crm->call('GET', '/api/clients');
        $this->assertCount(1, $own->events('request'));
        LogRouting::shutdown();
        $this->assertSame(0, LogRouting::trackedHandles());
        $crm->call('GET', '/api/clients');
        $this->assertCount(1, $own->events('request'), 'no callback is called after shutdown');
        $crm->close();
    }

    // ---- the example ----

    /** examples/php/calls.php against this sandbox (every vendor it can reach). */
    public function testCallsExampleRuns(): void
    {
        $pem = tempnam(sys_get_temp_dir(), 'b2c_key_');
        chmod($pem, 0600);
        file_put_contents($pem, self::$key->privatePem());
        try {
            $env = [
                'B2C_BASE_URL' => self::$sandbox->url, 'B2C_ADMIN_ID' => '42', 'B2C_DEVICE_IP' => '127.0.0.1',
                'B2C_KEY_ID' => 'kid1', 'B2C_PRIVATE_KEY' => $pem,
                'B2C_CRM_URL' => self::$sandbox->url . '/crm', 'B2C_CRM_API_KEY' => self::API_KEY,
                'B2C_B2BINPAY_URL' => self::$sandbox->url . '/b2binpay', 'B2C_B2BINPAY_LOGIN' => 'sandbox-login',
                'B2C_B2BINPAY_PASSWORD' => 'sandbox-password',
            ];
            $p = proc_open([PHP_BINARY, Sandbox::repo() . '/examples/php/calls.php'], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, array_merge(getenv(), $env));
            $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
            $rc = proc_close($p);
        } finally {
            unlink($pem);
        }
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('B2COPY GET /api/admin/v2/example?x=1: HTTP 200 ', $out);
        $this->assertStringContainsString('CRM POST /api/clients: HTTP 200 ', $out);
        $this->assertStringContainsString('B2BINPAY GET /api/v3/wallet/: HTTP 200 ', $out);
        $this->assertStringContainsString('CRM stats: 1 requests', $out);
        $this->assertStringNotContainsString('sbx_', $out, 'the example does not print the token');
    }

    // ---- RetailCRM: one module, many accounts ----

    private static function module(): array
    {
        return [
            'code' => 'b2c-php-accounts', 'integrationCode' => 'b2c-php-accounts', 'active' => true, 'name' => 'B2C accounts',
            'clientId' => 'module-default', 'baseUrl' => 'https://module.example',
            'accountUrl' => 'https://module.example/account',
        ];
    }

    private static function form(string $apiKey, string $token): string
    {
        return http_build_query([
            'register' => ['systemUrl' => self::$sandbox->url . '/retailcrm', 'apiKey' => $apiKey, 'token' => $token],
        ]);
    }

    public function testRegistrationShape(): void
    {
        $r = new \ReflectionClass(Registration::class);
        $this->assertTrue($r->isFinal());
        $props = [];
        foreach ($r->getProperties() as $p) {
            $this->assertTrue($p->isPublic() && $p->isReadOnly(), "Registration::\${$p->getName()} is public readonly");
            $props[$p->getName()] = (string) $p->getType();
        }
        $this->assertSame([
            'registered' => 'bool', 'answer' => 'string', 'systemUrl' => '?string', 'apiKey' => '?string',
            'error' => '?string', 'fieldErrors' => '?array',
        ], $props);
        foreach (['', '[]', '{"registered": "yes", "answer": "{}"}', '{"registered": true}'] as $bad) {
            try {
                Registration::fromJson($bad);
                $this->fail("parsed '$bad'");
            } catch (ProtocolException $e) {
                $this->assertSame(Status::PROTOCOL->value, $e->getCode());
            }
        }
        // keys a newer library adds are ignored
        $reg = Registration::fromJson('{"registered": false, "answer": "{}", "system_url": null, "api_key": null, "error": "e", "field_errors": null, "new": 1}');
        $this->assertSame([false, '{}', null, null, 'e', null], [$reg->registered, $reg->answer, $reg->systemUrl, $reg->apiKey, $reg->error, $reg->fieldErrors]);
    }

    public function testRegisterTwoAccountsOfOneModule(): void
    {
        $token = RetailCrm::token(self::SECRET, self::API_KEY);
        $system = self::$sandbox->url . '/retailcrm';
        $before = self::stats('retailcrm');
        foreach ([1, 2] as $i) {
            $account = ['clientId' => "acct-$i", 'accountUrl' => "https://module.example/acct/$i"];
            // the account as an array, then as a JSON string
            $reg = RetailCrm::registerAccount(self::SECRET, self::form(self::API_KEY, $token), self::module(), $i === 1 ? $account : json_encode($account));
            $this->assertInstanceOf(Registration::class, $reg);
            $this->assertTrue($reg->registered, (string) $reg->error);
            $this->assertSame(self::API_KEY, $reg->apiKey);
            $this->assertSame($system, $reg->systemUrl);
            $this->assertNull($reg->error);
            $this->assertNull($reg->fieldErrors);
            $this->assertSame(['success' => true, 'accountUrl' => "https://module.example/acct/$i"], json_decode($reg->answer, true));
            $this->assertStringNotContainsString(self::API_KEY, $reg->answer, 'the API key is not in the answer');
            $this->assertStringNotContainsString(self::API_KEY, print_r($reg, true), 'the API key is redacted in dumps');
        }
        $this->assertSame(2, self::delta($before, self::stats('retailcrm'))['edit_calls']);

        // No account fields: the module's own (null, or an empty array)
        foreach ([null, []] as $none) {
            $reg = RetailCrm::registerAccount(self::SECRET, self::form(self::API_KEY, $token), json_encode(self::module()), $none, ['request_timeout_ms' => 5000]);
            $this->assertTrue($reg->registered, (string) $reg->error);
            $this->assertSame('https://module.example/account', json_decode($reg->answer, true)['accountUrl']);
        }
    }

    public function testRegisterWithAWrongTokenIsNotRegistered(): void
    {
        $tokens = [str_repeat('0', 64), RetailCrm::token('other-secret', self::API_KEY), RetailCrm::token(self::SECRET, 'other-key'), ''];
        foreach ($tokens as $token) {
            $before = self::stats('retailcrm');
            $reg = RetailCrm::registerAccount(self::SECRET, self::form(self::API_KEY, $token), self::module(), ['clientId' => 'acct-bad']);
            $this->assertFalse($reg->registered);
            $this->assertNull($reg->apiKey, 'no API key for an account that is not registered');
            $this->assertNotNull($reg->error);
            $answer = json_decode($reg->answer, true);
            $this->assertFalse($answer['success']);
            $this->assertNotSame('', $answer['errorMsg']);
            $this->assertSame($before, self::stats('retailcrm'), "wrong token '$token' caused an outgoing call");
        }
        // a secret with a NUL byte would be cut short in C: refused
        try {
            RetailCrm::registerAccount("mod\0secret", self::form(self::API_KEY, RetailCrm::token('mod', self::API_KEY)), self::module());
            $this->fail('a secret with a NUL byte was used');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
        }
    }

    public function testRegisterKeyTheSystemRejects(): void
    {
        $before = self::stats('retailcrm');
        $reg = RetailCrm::registerAccount(self::SECRET, self::form('revoked-key', RetailCrm::token(self::SECRET, 'revoked-key')), self::module(), ['clientId' => 'acct-r']);
        $this->assertFalse($reg->registered);
        $this->assertNull($reg->apiKey);
        $this->assertNotNull($reg->error);
        $this->assertStringNotContainsString('revoked-key', $reg->answer);
        $this->assertSame(['edit_calls' => 1, 'edit_ok' => 0], self::delta($before, self::stats('retailcrm')));
    }

    public function testRegisterFieldErrorsReachTheCaller(): void
    {
        self::$sandbox->control('retailcrm/field-errors', ['errors' => ['integrationModule[clientId]' => 'already used'], 'times' => 1]);
        $form = self::form(self::API_KEY, RetailCrm::token(self::SECRET, self::API_KEY));
        $reg = RetailCrm::registerAccount(self::SECRET, $form, self::module(), ['clientId' => 'acct-taken']);
        $this->assertFalse($reg->registered);
        $this->assertNull($reg->apiKey);
        $this->assertSame(['integrationModule[clientId]' => 'already used'], $reg->fieldErrors);
        $this->assertStringContainsString('already used', (string) $reg->error);
        $this->assertFalse(json_decode($reg->answer, true)['success']);
        // times: 1 — the next one registers
        $this->assertTrue(RetailCrm::registerAccount(self::SECRET, $form, self::module(), ['clientId' => 'acct-taken'])->registered);
    }

    public function testRegisterRefusesInvalidModuleOrAccountJson(): void
    {
        $form = self::form(self::API_KEY, RetailCrm::token(self::SECRET, self::API_KEY));
        $before = self::stats('retailcrm');
        foreach ([
            'account not an object' => [self::module(), '[1]'],
            'account a list' => [self::module(), ['acct-1']],
            'account not JSON' => [self::module(), '{nope'],
            'module not JSON' => ['{nope', null],
        ] as $what => [$module, $account]) {
            try {
                RetailCrm::registerAccount(self::SECRET, $form, $module, $account);
                $this->fail("accepted: $what");
            } catch (InvalidArgumentException $e) {
                $this->assertNotSame(0, $e->getCode(), $what);
            }
        }
        $this->assertSame($before, self::stats('retailcrm'));
        foreach ([
            'secret null' => static fn () => RetailCrm::registerAccount(null, $form, self::module()),
            'account int' => static fn () => RetailCrm::registerAccount(self::SECRET, $form, self::module(), 42),
        ] as $what => $call) {
            try {
                $call();
                $this->fail("accepted: $what");
            } catch (\TypeError) {
                $this->addToAssertionCount(1);
            }
        }
    }
}
