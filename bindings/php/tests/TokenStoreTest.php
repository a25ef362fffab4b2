<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\B2binpay;
use B2c\B2c;
use B2c\Client;
use B2c\ClosedException;
use B2c\InvalidArgumentException;
use B2c\Key;
use B2c\LogRouting;
use B2c\NativeTokenStore;
use B2c\Stats;
use B2c\Status;
use B2c\TokenStore;
use PHPUnit\Framework\TestCase;

/**
 * Token stores: the file store (the token_store configuration key) and stores written in
 * PHP (B2c\TokenStore through the b2c_token_store callbacks), against a sandbox of this
 * class's own. Several handles in this process stand for several processes.
 */
final class TokenStoreTest extends TestCase
{
    private static Key $key;
    private static Sandbox $sandbox;
    /** @var list<string> */
    private array $dirs = [];

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
        ScanLog::restore();
        foreach ($this->dirs as $dir) {
            foreach (glob("$dir/{,.}*", GLOB_BRACE) ?: [] as $f) {
                if (is_file($f)) {
                    unlink($f);
                }
            }
            @rmdir($dir);
            @rmdir(dirname($dir));
        }
    }

    /** A directory that does not exist yet, in a temporary parent of its own. */
    private function storeDir(): string
    {
        $parent = sys_get_temp_dir() . '/b2c-php-store-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($parent, 0700);
        return $this->dirs[] = "$parent/tokens";
    }

    /** @param array<string, mixed> $extra */
    private static function client(array $extra = []): Client
    {
        return new Client(self::$sandbox->config(self::$key) + $extra);
    }

    /** @param array<string, mixed> $extra */
    private static function b2binpay(array $extra = []): B2binpay
    {
        return new B2binpay([
            'base_url' => self::$sandbox->url . '/b2binpay',
            'login' => 'sandbox-login',
            'password' => 'sandbox-password',
        ] + $extra);
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

    private static function fee(Client $c): void
    {
        $c->feeProcess('123456', Sandbox::requestId('php-store'));
    }

    // ---- the file store ----

    public function testAFileStoreSharesOneExchangeBetweenClients(): void
    {
        $dir = $this->storeDir();
        $store = ['token_store' => ['type' => 'file', 'path' => $dir]];
        $b0 = self::$sandbox->stats('b2copy');
        $a = self::client($store);
        self::fee($a);
        $this->assertSame(0700, fileperms($dir) & 0777, 'the directory is made 0700');
        $b = self::client($store);
        self::fee($b);
        $d = self::delta($b0, self::$sandbox->stats('b2copy'));
        $this->assertSame(1, $d['auth_ok'], 'one exchange for both clients');
        $this->assertSame(2, $d['process_calls']);
        [$sa, $sb] = [$a->stats(), $b->stats()];
        $this->assertSame([1, 1], [$sa->authExchanges, $sa->storeSaves], $sa->json);
        $this->assertSame([0, 1], [$sb->authExchanges, $sb->storeAdopted], $sb->json);
        $this->assertSame(0, $sa->storeErrors + $sb->storeErrors);
        $records = array_values(array_filter(glob("$dir/*") ?: [], 'is_file'));
        $this->assertNotSame([], $records);
        foreach ($records as $f) {
            $this->assertSame(0600, fileperms($f) & 0777, "$f is 0600");
            $this->assertStringNotContainsString('PRIVATE KEY', (string) file_get_contents($f));
        }
        $a->close();
        $b->close();

        // B2BINPAY: two handles, one login.
        $p0 = self::$sandbox->stats('b2binpay');
        $x = self::b2binpay($store);
        $y = self::b2binpay($store);
        $this->assertSame($x->accessToken()->token, $y->accessToken()->token);
        $this->assertSame(1, self::delta($p0, self::$sandbox->stats('b2binpay'))['token_ok']);
        $this->assertSame(1, $y->stats()->storeAdopted);
    }

    public function testAFileStoreInAnUnsafeDirectoryIsAConfigurationError(): void
    {
        $dir = $this->storeDir();
        mkdir($dir, 0755);
        chmod($dir, 0755);
        foreach ([
            'Client' => fn () => self::client(['token_store' => ['type' => 'file', 'path' => $dir]]),
            'Client::shared' => fn () => Client::shared(self::$sandbox->config(self::$key) + ['token_store' => ['type' => 'file', 'path' => $dir]]),
            'B2binpay' => fn () => self::b2binpay(['token_store' => ['type' => 'file', 'path' => $dir]]),
            'a relative path' => fn () => self::client(['token_store' => ['type' => 'file', 'path' => 'relative/dir']]),
            'an unknown type' => fn () => self::client(['token_store' => ['type' => 'carrier-pigeon']]),
        ] as $what => $make) {
            try {
                $make();
                $this->fail("$what: accepted");
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::CONFIG->value, $e->getCode(), "$what: {$e->getMessage()}");
            }
        }
        // The memory store, spelled out, is the default.
        self::client(['token_store' => ['type' => 'memory']])->close();
    }

    // ---- stores written in PHP ----

    public function testAStoreInPhpSharedByTwoClientsMakesOneExchangeAndOneRefresh(): void
    {
        $store = new MemoryTokenStore();
        $a = self::client();
        $b = self::client();
        $a->setTokenStore($store);
        $b->setTokenStore($store);
        $b0 = self::$sandbox->stats('b2copy');
        self::fee($a);
        self::fee($b);
        $this->assertSame(1, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        self::$sandbox->control('b2copy/expire-access');
        self::fee($a);
        self::fee($b);
        $d = self::delta($b0, self::$sandbox->stats('b2copy'));
        $this->assertSame([1, 1, 0], [$d['auth_ok'], $d['refresh_ok'], $d['refresh_rejected']], json_encode($d));
        $this->assertSame(6, $d['process_calls'], 'after the expiry each client met one 401');
        $this->assertSame(2, $store->calls['save'], json_encode($store->calls));
        $this->assertSame($store->calls['lock'], $store->calls['unlock']);
        $this->assertGreaterThanOrEqual(2, $store->calls['lock']);
        $this->assertSame([], $store->locked, 'every lock released');
        foreach ($store->keys as $k) {
            $this->assertMatchesRegularExpression('/^b2copy-[0-9a-f]{40}$/', $k);
        }
        foreach ($store->lockArgs as [$timeout, $lease]) {
            $this->assertGreaterThan(0, $timeout);
            $this->assertGreaterThanOrEqual($timeout, $lease);
        }
        $this->assertCount(1, $store->values, 'one record per credential');
        $value = array_values($store->values)[0];
        $this->assertIsArray(json_decode($value, true), 'JSON text (opaque to the store)');
        $this->assertStringNotContainsString('PRIVATE KEY', $value);
        $sb = $b->stats();
        $this->assertSame([0, 2], [$sb->authExchanges, $sb->storeAdopted], $sb->json);
        $this->assertGreaterThanOrEqual(2, $sb->storeLoads, $sb->json);
        $this->assertSame(2, $a->stats()->storeSaves + $sb->storeSaves);

        // Detached: the client goes on with its own tokens, the store is no longer called.
        $b->setTokenStore(null);
        $n = $store->total();
        self::$sandbox->control('b2copy/expire-access');
        self::fee($b);
        $this->assertSame($n, $store->total());
        $this->assertSame(0, self::delta($b0, self::$sandbox->stats('b2copy'))['refresh_rejected']);
        $a->close();
        $b->close();
    }

    public function testAStoreInPhpOnB2binpay(): void
    {
        $store = new MemoryTokenStore();
        $x = self::b2binpay();
        $y = self::b2binpay();
        $x->setTokenStore($store);
        $y->setTokenStore($store);
        $p0 = self::$sandbox->stats('b2binpay');
        $tx = $x->accessToken();
        $ty = $y->accessToken();
        $this->assertSame($tx->token, $ty->token);
        $this->assertFalse($ty->suspicious);
        $this->assertSame(1, self::delta($p0, self::$sandbox->stats('b2binpay'))['token_ok']);
        foreach ($store->keys as $k) {
            $this->assertMatchesRegularExpression('/^b2binpay-[0-9a-f]{40}$/', $k);
        }
        // A refresh through one handle; the other adopts the new pair (no replayed refresh token).
        $x->refresh();
        $y->refresh();
        $d = self::delta($p0, self::$sandbox->stats('b2binpay'));
        $this->assertSame(0, $d['refresh_replayed'], json_encode($d));
        $this->assertSame(0, $x->counters()->suspicious + $y->counters()->suspicious);
        foreach ($store->values as $v) {
            $this->assertStringNotContainsString('sandbox-password', $v);
        }
    }

    public function testAFailingStoreIsToleratedAndLogged(): void
    {
        $log = new CollectingLogger();
        B2c::setLogger($log, 'warning');
        foreach ([['load'], ['save'], ['lock'], ['unlock'], ['load', 'save', 'lock', 'unlock']] as $broken) {
            $store = new MemoryTokenStore($broken);
            $c = self::client();
            $c->setTokenStore($store);
            $before = count($log->events('store'));
            self::fee($c);
            self::$sandbox->control('b2copy/expire-access');
            self::fee($c); // and a refresh, through the broken store
            $what = implode('+', $broken);
            $this->assertGreaterThan(0, $store->calls[$broken[0]], "$what was called");
            $s = $c->stats();
            if ($broken !== ['unlock']) { // unlock returns nothing: its failure is the store's own business
                $this->assertGreaterThanOrEqual(1, $s->storeErrors, "$what: " . $s->json);
                $this->assertGreaterThan($before, count($log->events('store')), "$what: " . $log->dump());
            }
            $c->close();
        }
        foreach ($log->events('store') as $r) {
            $this->assertSame('warning', $r['level']);
        }

        // Not a TokenStore's promise kept: a wrong type, a value too long, a warning.
        $odd = new class () implements TokenStore {
            public int $calls = 0;

            public function load(string $key): ?string
            {
                $this->calls++;
                return $this->calls === 1 ? str_repeat('x', 70_000) : (string) [][$key]; // too long; then a warning
            }

            public function save(string $key, string $value): void
            {
                $this->calls++;
                throw new \Error('an Error, not an Exception');
            }

            public function lock(string $key, int $timeoutMs, int $leaseMs): bool
            {
                $this->calls++;
                return true;
            }

            public function unlock(string $key): void
            {
                $this->calls++;
            }
        };
        $c = self::client();
        $c->setTokenStore($odd);
        self::fee($c);
        self::fee(self::client()); // another client: the first one's store does not matter to it
        $this->assertGreaterThan(2, $odd->calls);
        $this->assertGreaterThanOrEqual(1, $c->stats()->storeErrors);
    }

    public function testSetTokenStoreOnClosedHandlesAndTheShutdown(): void
    {
        $base = LogRouting::trackedStores();
        $store = new MemoryTokenStore();
        $a = self::client();
        $x = self::b2binpay();
        $a->setTokenStore($store);
        $a->setTokenStore($store); // replaced, still one
        $x->setTokenStore($store);
        $this->assertSame($base + 2, LogRouting::trackedStores());
        $a->close();
        $this->assertSame($base + 1, LogRouting::trackedStores(), 'close() detached it');
        $x->setTokenStore(null);
        $this->assertSame($base, LogRouting::trackedStores());
        foreach ([static fn () => $a->setTokenStore($store), static fn () => $a->setTokenStore(null)] as $call) {
            try {
                $call();
                $this->fail('a closed client took a store');
            } catch (ClosedException $e) {
                $this->assertSame(Status::NULL_POINTER->value, $e->getCode());
            }
        }

        // The destructor (no close()) detaches it as well.
        $gone = self::client();
        $gone->setTokenStore($store);
        self::fee($gone);
        unset($gone);
        $this->assertSame($base, LogRouting::trackedStores());

        // Request shutdown detaches every store set from PHP.
        $b = self::client();
        $b->setTokenStore($store);
        self::fee($b);
        LogRouting::shutdown();
        $this->assertSame(0, LogRouting::trackedStores());
        $n = $store->total();
        self::$sandbox->control('b2copy/expire-access');
        self::fee($b);
        $this->assertSame($n, $store->total(), 'no store call after shutdown');
        $b->close();
    }

    public function testTheCallbackResultsMirrorTheHeader(): void
    {
        $this->assertSame(1, preg_match('/typedef enum \{(.*?)\} b2c_store_result;/s', (string) file_get_contents(Sandbox::header()), $m));
        $body = preg_replace('#/\*.*?\*/#s', '', $m[1]);
        preg_match_all('/B2C_STORE_(\w+)\s*=\s*(-?\d+)/', $body, $all, PREG_SET_ORDER);
        $inHeader = [];
        foreach ($all as [, $name, $value]) {
            $inHeader[$name] = (int) $value;
        }
        $inPhp = (new \ReflectionClass(NativeTokenStore::class))->getConstants();
        $this->assertSame($inHeader, $inPhp);
        $this->assertSame(48, \FFI::sizeof(\B2c\Library::ffi()->type('b2c_token_store')), 'six 8-byte fields on x86-64');
    }

    public function testStatsHaveTheStoreCounters(): void
    {
        $keys = array_keys(json_decode(self::client()->stats()->json, true));
        foreach (['store_loads', 'store_adopted', 'store_saves', 'store_errors'] as $k) {
            $this->assertContains($k, $keys, "the library sends $k");
        }
        $s = Stats::fromJson('{"store_loads": 1, "store_adopted": 2, "store_saves": 3, "store_errors": 4}');
        $this->assertSame([1, 2, 3, 4], [$s->storeLoads, $s->storeAdopted, $s->storeSaves, $s->storeErrors]);
        $s = Stats::fromJson('{}');
        $this->assertSame([0, 0], [$s->storeSaves, $s->storeErrors]);
    }
}
