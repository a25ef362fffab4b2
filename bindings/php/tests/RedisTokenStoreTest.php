<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\Client;
use B2c\Key;
use B2c\RedisTokenStore;
use PHPUnit\Framework\TestCase;

/**
 * B2c\RedisTokenStore against a real redis-server the test starts on a free loopback port
 * (no persistence) and stops: its values and locks, and two separate PHP processes
 * (standing for two hosts) sharing one token through it. Without redis-server or ext-redis
 * these tests FAIL (they are not skipped): scripts/install-deps.sh installs both.
 */
final class RedisTokenStoreTest extends TestCase
{
    private static ?RedisServer $redis = null;
    private static Key $key;
    private static Sandbox $sandbox;
    private static string $dir;
    private static string $keyFile;

    public static function setUpBeforeClass(): void
    {
        self::$key = Key::generate();
        self::$sandbox = Sandbox::withKey(self::$key);
        self::$dir = sys_get_temp_dir() . '/b2c-php-redis-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir(self::$dir, 0700);
        self::$keyFile = self::$dir . '/key.pem';
        file_put_contents(self::$keyFile, self::$key->privatePem());
        chmod(self::$keyFile, 0600);
    }

    public static function tearDownAfterClass(): void
    {
        self::$redis?->stop();
        self::$redis = null;
        self::$sandbox->stop();
        @unlink(self::$keyFile);
        @rmdir(self::$dir);
    }

    /** The redis-server of this class (started by the first test; a failure to start fails each test). */
    private static function redis(): RedisServer
    {
        return self::$redis ??= new RedisServer();
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
     * Start a child process (tests/fixtures/redis-store.php) for $kind with $prefix.
     *
     * @return array{0: resource, 1: array<int, resource>}
     */
    private function child(string $prefix, string $kind, string $requestId = '-', ?float $startAt = null): array
    {
        $args = [PHP_BINARY, __DIR__ . '/fixtures/redis-store.php', self::$sandbox->url, (string) self::redis()->port,
            $prefix, $kind, $kind === 'b2copy' ? self::$keyFile : '-', $requestId];
        if ($startAt !== null) {
            $args[] = sprintf('%.6f', $startAt);
        }
        $proc = proc_open($args, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $this->assertIsResource($proc);
        return [$proc, $pipes];
    }

    /** @param array{0: resource, 1: array<int, resource>} $child */
    private function wait(array $child): array
    {
        [$proc, $pipes] = $child;
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $rc = proc_close($proc);
        $this->assertSame(0, $rc, "child failed: $out $err");
        if ($err !== '') {
            ScanLog::line($err);
        }
        $r = json_decode(trim((string) $out), true);
        $this->assertIsArray($r, "child output: $out $err");
        return $r;
    }

    public function testValuesAreBinarySafeUnderThePrefix(): void
    {
        $r = self::redis()->connect();
        $store = new RedisTokenStore($r);
        $this->assertSame('b2c:', $store->prefix());
        $this->assertNull($store->load('b2copy-none'));
        $value = "{\"a\":1}\0\xff\r\n" . random_bytes(64);
        $store->save('b2copy-one', $value);
        $this->assertSame($value, $store->load('b2copy-one'));
        $this->assertSame($value, $r->rawCommand('GET', 'b2c:b2copy-one'), 'the value is at <prefix><key>');
        $store->save('b2copy-one', '');
        $this->assertSame('', $store->load('b2copy-one'));

        $other = new RedisTokenStore(self::redis()->connect(), 'crm-2:');
        $this->assertNull($other->load('b2copy-one'), 'another prefix is another namespace');
        $other->save('b2copy-one', 'x');
        $this->assertSame('x', $r->rawCommand('GET', 'crm-2:b2copy-one'));

        // The \Redis object's own options do not change the layout (raw commands).
        $opt = self::redis()->connect();
        $opt->setOption(\Redis::OPT_PREFIX, 'ignored:');
        $opt->setOption(\Redis::OPT_SERIALIZER, \Redis::SERIALIZER_PHP);
        $s3 = new RedisTokenStore($opt);
        $this->assertSame('', $s3->load('b2copy-one'));
        $this->assertTrue($s3->lock('b2copy-one', 0, 5000));
        $s3->unlock('b2copy-one');
        $this->assertSame(0, $r->exists('b2c:b2copy-one:lock'), 'unlocked: the owner token compared equal');
    }

    public function testTheLockHasOneOwnerAndExpires(): void
    {
        $a = new RedisTokenStore(self::redis()->connect());
        $b = new RedisTokenStore(self::redis()->connect());
        $raw = self::redis()->connect();
        $key = 'b2copy-' . bin2hex(random_bytes(20));
        $this->assertTrue($a->lock($key, 100, 10_000));
        $owner = $raw->rawCommand('GET', "b2c:$key:lock");
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', (string) $owner, 'a random owner token at <prefix><key>:lock');
        $ttl = $raw->pttl("b2c:$key:lock");
        $this->assertGreaterThan(9_000, $ttl, 'the lease is the expiry');
        $this->assertLessThanOrEqual(10_000, $ttl);

        $t = hrtime(true);
        $this->assertFalse($b->lock($key, 150, 10_000), 'another owner waits, then times out');
        $waited = (hrtime(true) - $t) / 1e6;
        $this->assertGreaterThanOrEqual(145, $waited);
        $this->assertLessThan(2_000, $waited);
        $this->assertFalse($b->lock($key, 0, 10_000), 'timeout 0: one attempt');

        $b->unlock($key); // not the owner: nothing happens
        $this->assertSame($owner, $raw->rawCommand('GET', "b2c:$key:lock"));
        $this->assertFalse($b->lock($key, 0, 10_000));
        $a->unlock($key);
        $this->assertSame(0, $raw->exists("b2c:$key:lock"));
        $this->assertTrue($b->lock($key, 0, 10_000), 'free again');
        $b->unlock($key);

        // A holder that died: its lock expires after the lease; the one that takes it over is
        // not unlocked by the first (the Lua compare-and-delete).
        $this->assertTrue($a->lock($key, 0, 100));
        $t = hrtime(true);
        $this->assertTrue($b->lock($key, 2_000, 10_000), 'taken once the lease ran out');
        $this->assertGreaterThanOrEqual(50, (hrtime(true) - $t) / 1e6);
        $bOwner = $raw->rawCommand('GET', "b2c:$key:lock");
        $this->assertNotSame($owner, $bOwner);
        $a->unlock($key); // a's token is stale
        $this->assertSame($bOwner, $raw->rawCommand('GET', "b2c:$key:lock"), 'a stale owner does not release it');
        $b->unlock($key);
        $this->assertSame(0, $raw->exists("b2c:$key:lock"));
        $this->assertSame(0, $raw->eval(RedisTokenStore::UNLOCK_SCRIPT, ["b2c:$key:lock", 'x'], 1));
    }

    public function testTwoProcessesShareOneTokenThroughRedis(): void
    {
        $prefix = 'b2c-test-' . bin2hex(random_bytes(4)) . ':';
        $b0 = self::$sandbox->stats('b2copy');
        $one = $this->wait($this->child($prefix, 'b2copy', Sandbox::requestId('php-redis')));
        $two = $this->wait($this->child($prefix, 'b2copy', Sandbox::requestId('php-redis')));
        $d = self::delta($b0, self::$sandbox->stats('b2copy'));
        $this->assertSame(1, $d['auth_ok'], 'one authexternalcrm across both processes: ' . json_encode([$one, $two]));
        $this->assertSame(['PENDING', 'PENDING'], [$one['status'], $two['status']]);
        $this->assertSame([1, 1, 0], [$one['stats']['auth_exchanges'], $one['stats']['store_saves'], $one['stats']['store_errors']]);
        $this->assertSame([0, 1, 0], [$two['stats']['auth_exchanges'], $two['stats']['store_adopted'], $two['stats']['store_errors']]);

        // After the access tokens expired, two processes at once: one refresh between them.
        self::$sandbox->control('b2copy/expire-access');
        $at = microtime(true) + 0.5;
        $c3 = $this->child($prefix, 'b2copy', Sandbox::requestId('php-redis'), $at);
        $c4 = $this->child($prefix, 'b2copy', Sandbox::requestId('php-redis'), $at);
        [$three, $four] = [$this->wait($c3), $this->wait($c4)];
        $d = self::delta($b0, self::$sandbox->stats('b2copy'));
        $this->assertSame([1, 1, 0], [$d['auth_ok'], $d['refresh_ok'], $d['refresh_rejected']], json_encode([$d, $three, $four]));

        // Two processes at once with nothing stored yet (another prefix): one exchange.
        $fresh = 'b2c-test-' . bin2hex(random_bytes(4)) . ':';
        $at = microtime(true) + 0.5;
        $c5 = $this->child($fresh, 'b2copy', Sandbox::requestId('php-redis'), $at);
        $c6 = $this->child($fresh, 'b2copy', Sandbox::requestId('php-redis'), $at);
        [$five, $six] = [$this->wait($c5), $this->wait($c6)];
        $this->assertSame(2, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok'], json_encode([$five, $six]));
        $this->assertSame(1, $five['stats']['auth_exchanges'] + $six['stats']['auth_exchanges']);

        // What Redis holds: one record per credential and prefix, no lock left, no key material.
        $r = self::redis()->connect();
        foreach ([$prefix, $fresh] as $p) {
            $keys = $r->keys("$p*");
            $this->assertCount(1, $keys, json_encode($keys));
            $this->assertMatchesRegularExpression('/^' . preg_quote($p, '/') . 'b2copy-[0-9a-f]{40}$/', $keys[0]);
            $value = (string) $r->rawCommand('GET', $keys[0]);
            $this->assertIsArray(json_decode($value, true));
            $this->assertStringNotContainsString('PRIVATE KEY', $value);
        }
    }

    public function testTwoProcessesShareOneB2binpayLogin(): void
    {
        $prefix = 'b2c-test-' . bin2hex(random_bytes(4)) . ':';
        $p0 = self::$sandbox->stats('b2binpay');
        $at = microtime(true) + 0.5;
        $c1 = $this->child($prefix, 'b2binpay', '-', $at);
        $c2 = $this->child($prefix, 'b2binpay', '-', $at);
        [$one, $two] = [$this->wait($c1), $this->wait($c2)];
        $this->assertSame($one['token_sha256'], $two['token_sha256'], 'the same token in both processes');
        $d = self::delta($p0, self::$sandbox->stats('b2binpay'));
        $this->assertSame(1, $d['token_ok'], json_encode([$d, $one, $two]));
        $value = (string) self::redis()->connect()->rawCommand('GET', self::redis()->connect()->keys("$prefix*")[0]);
        $this->assertStringNotContainsString('sandbox-password', $value);
    }

    public function testARedisThatFailsIsAStoreFailure(): void
    {
        $store = new RedisTokenStore(new \Redis()); // never connected: every command throws
        try {
            $store->load('b2copy-x');
            $this->fail('a closed connection answered');
        } catch (\RedisException) {
        }
        $client = new Client(self::$sandbox->config(self::$key));
        $client->setTokenStore($store);
        $client->feeProcess('123456', Sandbox::requestId('php-redis'));
        $s = $client->stats();
        $this->assertGreaterThanOrEqual(1, $s->storeErrors, $s->json);
        $this->assertSame(1, $s->authExchanges, 'it went on without the store');

        // An error reply (not a nil): a key of the wrong type.
        $raw = self::redis()->connect();
        $raw->rawCommand('DEL', 'b2c:b2copy-list');
        $raw->rawCommand('LPUSH', 'b2c:b2copy-list', 'x');
        try {
            (new RedisTokenStore(self::redis()->connect()))->load('b2copy-list');
            $this->fail('WRONGTYPE was read as nothing stored');
        } catch (\RedisException $e) {
            $this->assertStringContainsString('WRONGTYPE', $e->getMessage());
        }
    }

    public function testWithoutRedisServerTheTestsFailNamingInstallDeps(): void
    {
        $this->assertFileExists(RedisServer::binary());
        try {
            RedisServer::binary(['/nonexistent']);
            $this->fail('found a redis-server in /nonexistent');
        } catch (\RuntimeException $e) {
            $this->assertStringContainsString('redis-server is not installed', $e->getMessage());
            $this->assertStringContainsString('scripts/install-deps.sh', $e->getMessage());
        }
    }
}
