<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\AuthException;
use B2c\CancelledException;
use B2c\Client;
use B2c\ClosedException;
use B2c\FeeException;
use B2c\FeeStatus;
use B2c\InvalidArgumentException;
use B2c\Key;
use B2c\NetworkException;
use B2c\Status;
use B2c\StillPendingException;
use PHPUnit\Framework\TestCase;

final class ClientTest extends TestCase
{
    private static Key $key;
    private static Sandbox $sandbox;

    public static function setUpBeforeClass(): void
    {
        self::$key = Key::generate();
        self::$sandbox = Sandbox::withKey(self::$key, '--pending-polls', '2', '--error-login', Sandbox::ERROR_LOGIN);
    }

    public static function tearDownAfterClass(): void
    {
        self::$sandbox->stop();
    }

    /** @return array<string, mixed> */
    private static function config(array $overrides = []): array
    {
        return array_merge(self::$sandbox->config(self::$key), $overrides);
    }

    public function testFullFeeFlowReportsProgress(): void
    {
        $client = new Client(self::config());
        $client->authenticate();
        $seen = [];
        $rid = Sandbox::requestId();
        $result = $client->feeProcess('123456', $rid, 5.0, function (FeeStatus $s, int $attempt, int $ms) use (&$seen): void {
            $seen[] = [$s, $attempt, $ms];
        });
        $this->assertSame(FeeStatus::SUCCESS, $result->status);
        $this->assertTrue($result->succeeded());
        $this->assertSame(['123456', $rid], [$result->accountLogin, $result->requestId]);
        $this->assertSame([FeeStatus::PENDING, FeeStatus::PENDING, FeeStatus::SUCCESS], array_column($seen, 0));
        $this->assertSame([1, 2, 3], array_column($seen, 1));
        $this->assertLessThanOrEqual($seen[2][2], $seen[0][2]);
    }

    public function testFeeFlowWithoutAuthenticateAndWithKeyObject(): void
    {
        $client = new Client(self::config(['private_key_pem' => self::$key]));
        $this->assertTrue($client->feeProcess('123456', Sandbox::requestId(), 5)->succeeded());
    }

    public function testOneShotIsPending(): void
    {
        $client = new Client(self::config());
        $r = $client->feeProcess('123456', Sandbox::requestId());
        $this->assertSame(FeeStatus::PENDING, $r->status);
        $this->assertTrue($r->pending());
        $this->assertSame(FeeStatus::PENDING, $client->feeProcess('123456', Sandbox::requestId(), 0.0)->status);
    }

    public function testErrorLoginThrowsFeeExceptionWithDetails(): void
    {
        $client = new Client(self::config());
        try {
            $client->feeProcess(Sandbox::ERROR_LOGIN, Sandbox::requestId(), 5);
            $this->fail('no FeeException');
        } catch (FeeException $e) {
            $this->assertSame(Status::FEE_ERROR->value, $e->getCode());
            $this->assertSame(FeeStatus::ERROR, $e->feeStatus);
            $this->assertStringContainsString(Sandbox::ERROR_LOGIN, $e->getMessage());
        }
    }

    public function testCallbackReturningFalseCancels(): void
    {
        $client = new Client(self::config());
        $calls = 0;
        try {
            $client->feeProcess('123456', Sandbox::requestId(), 5, function () use (&$calls): bool {
                $calls++;
                return false;
            });
            $this->fail('not cancelled');
        } catch (CancelledException $e) {
            $this->assertSame(Status::CANCELLED->value, $e->getCode());
        }
        $this->assertSame(1, $calls);
    }

    public function testCallbackExceptionIsRethrownAndCancels(): void
    {
        $client = new Client(self::config());
        $calls = 0;
        try {
            $client->feeProcess('123456', Sandbox::requestId(), 5, function () use (&$calls): void {
                $calls++;
                throw new \DomainException('from the callback');
            });
            $this->fail('not rethrown');
        } catch (\DomainException $e) {
            $this->assertSame('from the callback', $e->getMessage());
        }
        $this->assertSame(1, $calls);
        $this->assertTrue($client->feeProcess('123456', Sandbox::requestId(), 5)->succeeded());
    }

    public function testStillPending(): void
    {
        $sb = Sandbox::withKey(self::$key, '--pending-polls', '100000');
        try {
            $client = new Client(self::config(['base_url' => $sb->url]));
            $client->feeProcess('123456', Sandbox::requestId(), 0.3);
            $this->fail('no StillPendingException');
        } catch (StillPendingException $e) {
            $this->assertSame(Status::STILL_PENDING->value, $e->getCode());
            $this->assertSame(FeeStatus::PENDING, $e->feeStatus);
        } finally {
            $sb->stop();
        }
    }

    public function testUnknownConfigKey(): void
    {
        try {
            new Client(self::config(['no_such_key' => 1]));
            $this->fail('accepted');
        } catch (InvalidArgumentException $e) {
            $this->assertSame(Status::CONFIG->value, $e->getCode());
            $this->assertStringContainsString('no_such_key', $e->getMessage());
        }
    }

    public function testMissingFieldAndEmptyConfig(): void
    {
        $cfg = self::config();
        unset($cfg['key_id']);
        foreach ([$cfg, []] as $bad) {
            try {
                new Client($bad);
                $this->fail('accepted');
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::CONFIG->value, $e->getCode());
            }
        }
    }

    public function testInsecureUrl(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionCode(Status::INSECURE_URL->value);
        new Client(self::config(['base_url' => 'http://example.com']));
    }

    public function testUnregisteredKeyIsAuthException(): void
    {
        $other = file_get_contents(Sandbox::repo() . '/tests/fixtures/keys/p256_pkcs8.pem');
        $this->expectException(AuthException::class);
        (new Client(self::config(['private_key_pem' => $other])))->authenticate();
    }

    public function testConnectionRefusedIsNetworkException(): void
    {
        $sock = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($sock, false), ':'), 1);
        fclose($sock);
        $this->expectException(NetworkException::class);
        (new Client(self::config([
            'base_url' => "http://127.0.0.1:$port",
            'call_deadline_ms' => 500,
            'retry_base_ms' => 10,
            'retry_max_ms' => 50,
        ])))->authenticate();
    }

    public function testMintJwt(): void
    {
        $client = new Client(self::config());
        [, $claims] = JwtTest::verify($client->mintJwt(), self::$key->publicPem());
        $this->assertSame(42, $claims['admin_id']);
        $this->assertSame('kid1', $claims['key_id']);
    }

    public function testClosedClientThrows(): void
    {
        $client = new Client(self::config());
        $client->close();
        $client->close();
        $this->assertTrue($client->isClosed());
        foreach ([fn () => $client->authenticate(), fn () => $client->mintJwt(), fn () => $client->feeProcess('1', 'x')] as $call) {
            try {
                $call();
                $this->fail('closed client used');
            } catch (ClosedException $e) {
                $this->assertSame(Status::NULL_POINTER->value, $e->getCode());
            }
        }
    }
}
