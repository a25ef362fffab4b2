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
use B2c\Status;
use PHPUnit\Framework\TestCase;

/**
 * Shared handles (Client::shared(), B2binpay::shared(), B2c::clearShared()): one native
 * object per configuration, kept across frees, and the callbacks set from PHP on it, in
 * this process and under a real php-fpm (the native client outlives the request; what a
 * request set from PHP does not).
 */
final class SharedHandleTest extends TestCase
{
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
        ScanLog::restore();
    }

    /**
     * A configuration of its own for each test (user_agent differs), so that no test sees
     * another's shared client.
     *
     * @return array<string, mixed>
     */
    private function config(): array
    {
        return self::$sandbox->config(self::$key) + ['user_agent' => 'b2c-php-test/' . $this->getName(false)];
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

    public function testTheSameConfigurationInAnyKeyOrderIsOneNativeClient(): void
    {
        $config = $this->config();
        $reversed = array_reverse($config, true);
        $this->assertNotSame(array_keys($config), array_keys($reversed));
        $b0 = self::$sandbox->stats('b2copy');
        $one = Client::shared($config);
        $two = Client::shared($reversed);
        $this->assertTrue($one->isShared());
        $this->assertNotSame($one, $two);
        $one->feeProcess('123456', Sandbox::requestId('php-shared'));
        $one->close();
        $this->assertTrue($one->isClosed());
        $two->feeProcess('123456', Sandbox::requestId('php-shared'));
        $d = self::delta($b0, self::$sandbox->stats('b2copy'));
        $this->assertSame(1, $d['auth_ok'], 'one authexternalcrm for both handles');
        $this->assertSame(2, $d['process_calls']);
        $s = $two->stats();
        $this->assertSame(2, $s->latency['processext']->count ?? null, 'the stats count both handles\' calls: ' . $s->json);
        $this->assertSame(1, $s->authExchanges, $s->json);

        // A handle made after every other was freed is still the same client (its tokens).
        $two->close();
        $three = Client::shared($config + ['private_key_pem' => self::$key]);
        $three->feeProcess('123456', Sandbox::requestId('php-shared'));
        $this->assertSame(1, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        $this->assertSame(3, $three->stats()->latency['processext']->count ?? null);

        // A plain client with the same configuration is a client of its own.
        $plain = new Client($config);
        $this->assertFalse($plain->isShared());
        $plain->feeProcess('123456', Sandbox::requestId('php-shared'));
        $this->assertSame(2, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        $this->assertSame(1, $plain->stats()->latency['processext']->count ?? null);
        $three->close();
        $plain->close();
        B2c::clearShared();
    }

    public function testAnotherConfigurationIsAnotherClient(): void
    {
        $b0 = self::$sandbox->stats('b2copy');
        $a = Client::shared($this->config());
        $b = Client::shared(['call_deadline_ms' => 7777] + $this->config());
        $a->feeProcess('123456', Sandbox::requestId('php-shared'));
        $b->feeProcess('123456', Sandbox::requestId('php-shared'));
        $this->assertSame(2, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        $a->close();
        $b->close();
        B2c::clearShared();
    }

    public function testClearSharedDropsOnlyTheIdleOnes(): void
    {
        B2c::clearShared();
        $this->assertSame(0, B2c::clearShared(), 'nothing idle left');
        $config = $this->config();
        $b0 = self::$sandbox->stats('b2copy');
        $held = Client::shared($config);
        $held->feeProcess('123456', Sandbox::requestId('php-clear'));
        $idle = Client::shared(['call_deadline_ms' => 9000] + $config);
        $idle->close();
        $this->assertSame(1, B2c::clearShared(), 'the idle one, not the held one');
        $this->assertSame(0, B2c::clearShared(), 'and only once');

        // The held one kept its tokens: another handle of it authenticates no more.
        $again = Client::shared($config);
        $again->feeProcess('123456', Sandbox::requestId('php-clear'));
        $this->assertSame(1, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        $held->close();
        $again->close();

        // Dropped: the next shared() makes a new client (a new exchange).
        $this->assertSame(1, B2c::clearShared());
        $fresh = Client::shared($config);
        $this->assertSame(0, $fresh->stats()->requests);
        $fresh->feeProcess('123456', Sandbox::requestId('php-clear'));
        $this->assertSame(2, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        $fresh->close();
        $this->assertSame(1, B2c::clearShared());
    }

    public function testSharedB2binpayIsOneHandle(): void
    {
        $config = [
            'base_url' => self::$sandbox->url . '/b2binpay',
            'login' => 'sandbox-login',
            'password' => 'sandbox-password',
            'user_agent' => 'b2c-php-test/shared-b2binpay',
        ];
        $b0 = self::$sandbox->stats('b2binpay');
        $one = B2binpay::shared($config);
        $two = B2binpay::shared(array_reverse($config, true));
        $this->assertTrue($one->isShared());
        $t1 = $one->accessToken();
        $one->close();
        $t2 = $two->accessToken();
        $this->assertSame($t1->token, $t2->token);
        $d = self::delta($b0, self::$sandbox->stats('b2binpay'));
        $this->assertSame(1, $d['token_ok'], 'one login for both handles');
        $this->assertSame(1, $two->counters()->logins);
        $this->assertSame(1, $two->stats()->authExchanges);
        $this->assertFalse((new B2binpay($config))->isShared());
        $two->close();
        B2c::clearShared();
    }

    public function testSharedRefusesABadConfiguration(): void
    {
        foreach ([
            ['no_such_key' => 1] + $this->config(),
            ['base_url' => 'ftp://example.com'] + $this->config(),
            [],
        ] as $bad) {
            try {
                Client::shared($bad);
                $this->fail('accepted ' . json_encode(array_keys($bad)));
            } catch (InvalidArgumentException $e) {
                $this->assertContains($e->getCode(), [Status::CONFIG->value, Status::INSECURE_URL->value], $e->getMessage());
            }
        }
        $this->expectException(InvalidArgumentException::class);
        B2binpay::shared(['login' => 'x']);
    }

    /** A logger set through one handle is the shared client's: it stays while another handle is open. */
    public function testTheLoggerOfASharedClientBelongsToItsHandlesOfThisRequest(): void
    {
        $config = $this->config();
        $log = new CollectingLogger();
        $base = LogRouting::trackedHandles();
        $one = Client::shared($config);
        $two = Client::shared($config);
        $one->setLogger($log, 'debug');
        $this->assertSame($base + 1, LogRouting::trackedHandles(), 'tracked once, for the shared client');
        $two->feeProcess('123456', Sandbox::requestId('php-shlog'));
        $this->assertCount(1, $log->events('auth'), 'set through one handle, it applies to the other: ' . $log->dump());
        $one->close();
        $n = count($log->events('request', 'processext'));
        $two->feeProcess('123456', Sandbox::requestId('php-shlog'));
        $this->assertCount($n + 1, $log->events('request', 'processext'), 'still installed while a handle is open: ' . $log->dump());
        $this->assertSame($base + 1, LogRouting::trackedHandles());

        // The last handle of this request closed: removed (its closure must not outlive us).
        $two->close();
        $this->assertSame($base, LogRouting::trackedHandles());
        $n = count($log->records);
        $three = Client::shared($config);
        $three->feeProcess('123456', Sandbox::requestId('php-shlog'));
        $this->assertCount($n, $log->records, 'no logger left on the shared client: ' . $log->dump());

        // Request shutdown removes it too, with handles still open; setLogger(null) as well.
        $three->setLogger($log, 'debug');
        $four = Client::shared($config);
        LogRouting::shutdown();
        $this->assertSame(0, LogRouting::trackedHandles());
        $four->feeProcess('123456', Sandbox::requestId('php-shlog'));
        $this->assertCount($n, $log->records, 'removed at shutdown');
        $four->setLogger($log, 'debug');
        $three->setLogger(null);
        $four->feeProcess('123456', Sandbox::requestId('php-shlog'));
        $this->assertCount($n, $log->records, 'removed through another handle');
        $this->assertSame(0, LogRouting::trackedHandles());
        $three->close();
        $four->close();
        B2c::clearShared();
    }

    /** A token store set from PHP on a shared client: the same rules as its logger. */
    public function testTheTokenStoreOfASharedClientIsDetachedWithItsLastHandleAndAtShutdown(): void
    {
        $config = $this->config();
        $store = new MemoryTokenStore();
        $base = LogRouting::trackedStores();
        $one = Client::shared($config);
        $two = Client::shared($config);
        $one->setTokenStore($store);
        $this->assertSame($base + 1, LogRouting::trackedStores());
        $two->feeProcess('123456', Sandbox::requestId('php-shstore'));
        $this->assertSame(1, $store->calls['save'], 'set through one handle, it serves the other');
        $one->close();
        self::$sandbox->control('b2copy/expire-access');
        $two->feeProcess('123456', Sandbox::requestId('php-shstore'));
        $this->assertSame(2, $store->calls['save'], 'still installed while a handle is open');
        $two->close();
        $this->assertSame($base, LogRouting::trackedStores());

        $n = $store->total();
        self::$sandbox->control('b2copy/expire-access');
        $three = Client::shared($config);
        $three->feeProcess('123456', Sandbox::requestId('php-shstore'));
        $this->assertSame($n, $store->total(), 'detached with the last handle');
        $this->assertSame(2, $three->stats()->refreshes, 'the client kept its tokens (it refreshed, no new exchange)');
        $this->assertSame(1, $three->stats()->authExchanges);

        $three->setTokenStore($store);
        LogRouting::shutdown();
        $this->assertSame(0, LogRouting::trackedStores());
        self::$sandbox->control('b2copy/expire-access');
        $three->feeProcess('123456', Sandbox::requestId('php-shstore'));
        $this->assertSame($n, $store->total(), 'detached at shutdown');
        $three->close();
        B2c::clearShared();
    }

    public function testASharedClientWithAConfiguredFileStoreRefusesAStoreFromPhp(): void
    {
        $dir = sys_get_temp_dir() . '/b2c-php-shfile-' . bin2hex(random_bytes(4));
        $config = $this->config() + ['token_store' => ['type' => 'file', 'path' => $dir]];
        $b0 = self::$sandbox->stats('b2copy');
        $one = Client::shared($config);
        foreach ([new MemoryTokenStore(), null] as $store) {
            try {
                $one->setTokenStore($store);
                $this->fail('a shared client with a file store took a store from PHP');
            } catch (InvalidArgumentException $e) {
                $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
                $this->assertStringContainsString("token_store of type 'file'", $e->getMessage());
            }
        }
        $one->feeProcess('123456', Sandbox::requestId('php-shfile'));
        $one->close();
        B2c::clearShared(); // a new native client: the tokens come from the file store
        $two = Client::shared($config);
        $two->feeProcess('123456', Sandbox::requestId('php-shfile'));
        $this->assertSame(1, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);
        $this->assertSame(1, $two->stats()->storeAdopted);
        $two->close();
        B2c::clearShared();
        // A plain client with the same file store may take one (it is its own).
        $plain = new Client($config);
        $plain->setTokenStore(new MemoryTokenStore());
        $plain->close();
        foreach (glob("$dir/*") ?: [] as $f) {
            unlink($f);
        }
        rmdir($dir);
    }

    public function testClosedSharedHandles(): void
    {
        $one = Client::shared($this->config());
        $one->close();
        $one->close();
        foreach ([
            static fn () => $one->feeProcess('123456', 'x'),
            static fn () => $one->setTokenStore(new MemoryTokenStore()),
            static fn () => $one->setLogger(new CollectingLogger()),
            static fn () => $one->stats(),
        ] as $call) {
            try {
                $call();
                $this->fail('a closed shared handle was used');
            } catch (ClosedException $e) {
                $this->assertSame(Status::NULL_POINTER->value, $e->getCode());
            }
        }
        $this->assertTrue($one->isShared());
        B2c::clearShared();
    }

    /**
     * Under php-fpm (one worker; the README's preload setup, and ffi.enable=true, where the
     * binding keeps the library loaded past the request): the shared client outlives the
     * request with its tokens, what a request set from PHP (a store, a logger) is gone in the
     * next one, even when a request ended in a fatal error after a shutdown function exited
     * (no shutdown function of the binding, no destructor ran: the next shared() removes
     * what was left, else the worker would call the dead request's closures and crash).
     */
    /** @return array<string, array{string}> */
    public static function fpmModes(): array
    {
        return ['preloaded FFI scope' => ['preload'], 'FFI::cdef in each request' => ['cdef']];
    }

    /** @dataProvider fpmModes */
    public function testUnderPhpFpmTheSharedClientOutlivesTheRequestAndItsCallbacksDoNot(string $mode): void
    {
        $fpm = new PhpFpm($mode);
        $keyFile = $fpm->dir . '/key.pem';
        file_put_contents($keyFile, self::$key->privatePem());
        chmod($keyFile, 0600);
        $calls = $fpm->dir . '/calls.log';
        touch($calls);
        chmod($calls, 0666);
        $app = __DIR__ . '/fixtures/fpm-app.php';
        $b0 = self::$sandbox->stats('b2copy');
        $pid = null;
        $run = function (string $action) use ($fpm, $app, $keyFile, $calls, &$pid): array {
            $r = $fpm->get($app, ['action' => $action, 'url' => self::$sandbox->url, 'key' => $keyFile, 'calls' => $calls]);
            $line = strtok($r['body'], "\n");
            $out = json_decode((string) $line, true);
            $this->assertIsArray($out, "$action: " . var_export($r, true) . $fpm->log());
            $pid ??= $out['pid'];
            $this->assertSame($pid, $out['pid'], "$action: the same worker (it did not crash)\n" . $fpm->log());
            return $out;
        };
        $lines = static fn (): int => count(file($calls));
        try {
            $set = $run('set');
            $this->assertSame([$mode === 'cdef' ? 'cdef' : 'scope', 'PENDING', true], [$set['mode'], $set['status'], $set['shared']]);
            $this->assertGreaterThan(0, $n = $lines(), 'the store and the logger were called');
            $this->assertSame(1, $set['stats']['store_saves']);

            $use = $run('use');
            $this->assertSame(2, $use['stats']['latency']['processext']['count'], 'the native client outlived the request');
            $this->assertSame(1, $use['stats']['auth_exchanges']);
            $this->assertSame($n, $lines(), 'nothing of the previous request was called');

            // Between requests nobody holds it: idle, B2c::clearShared() drops it.
            $this->assertSame(1, $run('clear')['cleared']);
            $use = $run('use');
            $this->assertSame([1, 1], [$use['stats']['latency']['processext']['count'], $use['stats']['auth_exchanges']], 'a new client');
            $this->assertSame(2, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok']);

            $fatal = $run('fatal');
            $this->assertSame(2, $fatal['stats']['latency']['processext']['count']);
            $this->assertGreaterThan($n, $n = $lines(), 'the fatal request set its store and logger');
            for ($i = 0; $i < 2; $i++) {
                $use = $run('use');
                $this->assertSame(3 + $i, $use['stats']['latency']['processext']['count']);
            }
            $this->assertSame($n, $lines(), 'nothing of the fatal request was called');
            $this->assertSame(2, self::delta($b0, self::$sandbox->stats('b2copy'))['auth_ok'], 'no other exchange');
            // No destructor ran after the fatal error: its handle was never released.
            $this->assertSame(0, $run('clear')['cleared']);
            $this->assertStringNotContainsString('exited on signal', $fpm->log());
        } finally {
            $fpm->stop();
        }
    }
}
