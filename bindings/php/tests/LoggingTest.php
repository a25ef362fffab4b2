<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\B2binpay;
use B2c\B2c;
use B2c\Client;
use B2c\ClosedException;
use B2c\FeeStatus;
use B2c\InvalidArgumentException;
use B2c\Key;
use B2c\Latency;
use B2c\LogRouting;
use B2c\ProtocolException;
use B2c\Stats;
use B2c\Status;
use PHPUnit\Framework\TestCase;

/**
 * Logs (PSR-3 routing, process-wide and per handle) and statistics, against a sandbox of
 * this class's own (so that its counters move only with these tests; assertions are still
 * on deltas).
 */
final class LoggingTest extends TestCase
{
    private const PROCESSEXT = '/api/admin/fees/v2/fee/feeservice/processext';
    /** What no record may contain: the B2BINPAY password, tokens (B2COPY, B2BINPAY), a JWT, a key. */
    private const SECRETS = ['sandbox-password', 'sbx_', 'b2b-', 'eyJ', 'PRIVATE KEY'];

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
        // Every test may replace the process-wide logger: put the suite-wide one back.
        ScanLog::restore();
    }

    private static function client(): Client
    {
        return new Client(self::$sandbox->config(self::$key));
    }

    private static function b2binpay(): B2binpay
    {
        return new B2binpay([
            'base_url' => self::$sandbox->url . '/b2binpay',
            'login' => 'sandbox-login',
            'password' => 'sandbox-password',
        ]);
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

    private function assertNoSecret(CollectingLogger ...$logs): void
    {
        foreach ($logs as $log) {
            foreach ($log->records as $r) {
                $text = $r['message'] . ' ' . json_encode($r['context']);
                foreach (self::SECRETS as $secret) {
                    $this->assertStringNotContainsString($secret, $text, "a secret in {$r['event']}: {$r['message']}");
                }
            }
        }
    }

    /** One record of $event (exactly one), with $level and $target. */
    private function assertOne(CollectingLogger $log, string $event, string $level, string $target, ?string $needle = null): void
    {
        $all = $log->events($event);
        $this->assertCount(1, $all, "one '$event' event:\n" . $log->dump());
        $this->assertSame($level, $all[0]['level'], "level of '$event'");
        $this->assertSame($target, $all[0]['target'], "target of '$event'");
        $this->assertSame(['b2c_target' => $target, 'b2c_event' => $event], $all[0]['context']);
        if ($needle !== null) {
            $this->assertStringContainsString($needle, $all[0]['message'], "the message of '$event'");
        }
    }

    private function suspiciousRefresh(B2binpay $bp): void
    {
        $bp->login();
        $this->assertGreaterThanOrEqual(1, self::$sandbox->control('b2binpay/consume-refresh')['consumed']);
        $bp->refresh(); // a replay: 401 code 2007 -> tokens dropped, logged in again
    }

    // ---- levels and loggers ----

    public function testPsrLevelNamesSetTheNativeMaximum(): void
    {
        $want = [
            'emergency' => 1, 'alert' => 1, 'critical' => 1, 'error' => 1,
            'warning' => 2, 'notice' => 2, 'info' => 3, 'debug' => 5,
        ];
        foreach ($want as $name => $max) {
            $this->assertSame($max, LogRouting::maxLevel($name), $name);
            $this->assertSame($max, LogRouting::maxLevel(strtoupper($name)), strtoupper($name));
        }
        $this->assertSame(
            [1 => 'error', 2 => 'warning', 3 => 'info', 4 => 'debug', 5 => 'debug'],
            array_combine([1, 2, 3, 4, 5], array_map([LogRouting::class, 'recordLevel'], [1, 2, 3, 4, 5])),
        );
        foreach (['', 'trace', 'warn', 'fine', '3'] as $bad) {
            foreach ([
                'B2c::setLogger' => static fn () => B2c::setLogger(new CollectingLogger(), $bad),
                'Client::setLogger' => static fn () => self::client()->setLogger(new CollectingLogger(), $bad),
                'B2binpay::setLogger' => static fn () => self::b2binpay()->setLogger(new CollectingLogger(), $bad),
            ] as $what => $call) {
                try {
                    $call();
                    $this->fail("$what accepted level '$bad'");
                } catch (InvalidArgumentException $e) {
                    $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
                    $this->assertStringContainsString("'$bad'", $e->getMessage());
                }
            }
        }
    }

    public function testLoggerMustHaveAPublicLogMethod(): void
    {
        $bad = [
            'no log()' => new \stdClass(),
            'private log()' => new class () {
                private function log($level, $message, array $context = []): void
                {
                }
            },
            'static log()' => new class () {
                public static function log($level, $message, array $context = []): void
                {
                }
            },
            'log() without a context' => new class () {
                public function log($level, $message): void
                {
                }
            },
            'log() needing four arguments' => new class () {
                public function log($level, $message, array $context, $more): void
                {
                }
            },
            'only __call' => new class () {
                public function __call(string $name, array $args): void
                {
                }
            },
        ];
        $client = self::client();
        foreach ($bad as $what => $logger) {
            foreach ([
                static fn () => B2c::setLogger($logger),
                static fn () => $client->setLogger($logger),
            ] as $call) {
                try {
                    $call();
                    $this->fail("accepted a logger with $what");
                } catch (InvalidArgumentException $e) {
                    $this->assertSame(Status::INVALID_ARGUMENT->value, $e->getCode());
                    $this->assertStringContainsString('Psr\Log\LoggerInterface', $e->getMessage());
                }
            }
        }
        $this->assertSame(0, LogRouting::trackedHandles(), 'a rejected logger is not installed');
        // Accepted: any public log($level, $message, array $context = []), variadic too.
        B2c::setLogger(new CollectingLogger(), 'info');
        B2c::setLogger(new class () {
            public function log(...$args): void
            {
            }
        });
        $client->setLogger(new CollectingLogger(), 'debug');
        $client->setLogger(null);
        B2c::setLogger(null, 'not a level: ignored without a logger');
        $this->assertNull(LogRouting::processLogger());
        $this->expectException(\TypeError::class);
        B2c::setLogger('a string is not a logger');
    }

    /** With Psr\Log\LoggerInterface defined (here by the child process itself), its implementations are accepted. */
    public function testPsrLoggerInterfaceImplementationsAreAccepted(): void
    {
        $code = <<<'PHP'
            namespace Psr\Log {
                interface LoggerInterface {
                    public function log($level, string|\Stringable $message, array $context = []): void;
                }
            }
            namespace {
                require getenv('B2C_PHP_AUTOLOAD');
                final class PsrLogger implements Psr\Log\LoggerInterface {
                    public array $seen = [];
                    public function log($level, string|\Stringable $message, array $context = []): void {
                        $this->seen[] = "$level {$context['b2c_target']} {$context['b2c_event']}";
                    }
                }
                $l = new PsrLogger();
                B2c\B2c::setLogger($l, 'warning');
                $bp = new B2c\B2binpay(['base_url' => 'http://127.0.0.1:1/b2binpay', 'login' => 'l', 'password' => 'p',
                    'connect_timeout_ms' => 100, 'deadline_ms' => 200]);
                try { $bp->login(); } catch (B2c\NetworkException) {}
                echo implode(',', array_unique($l->seen)), "\n";
            }
            PHP;
        $env = getenv() + ['B2C_PHP_AUTOLOAD' => dirname(__DIR__) . '/autoload.php'];
        $proc = proc_open([PHP_BINARY, '-r', $code], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $rc = proc_close($proc);
        $this->assertSame(0, $rc, "child failed: $out $err");
        // The failed login (connection refused until the deadline) logs at warning only.
        $this->assertMatchesRegularExpression('/^warning b2binpay \w+(,warning b2binpay \w+)*\n$/', $out, $err);
        $this->assertStringContainsString('warning b2binpay deadline', $out);
    }

    // ---- B2COPY: a flow with a forced refresh and a retried 503 ----

    public function testB2copyFlowEventsAndStatsMatchTheSandbox(): void
    {
        $global = new CollectingLogger();
        B2c::setLogger($global, 'info');
        $b0 = self::$sandbox->stats('b2copy');
        $client = self::client();

        $client->feeProcess('123456', Sandbox::requestId('php-log'));
        $this->assertOne($global, 'auth', 'info', 'b2copy', 'no tokens held');

        self::$sandbox->control('b2copy/expire-access');
        $client->feeProcess('123456', Sandbox::requestId('php-log'));
        $this->assertOne($global, 'unauthorized', 'info', 'b2copy', '401');
        $this->assertOne($global, 'refresh', 'info', 'b2copy', '401');
        $this->assertCount(1, $global->events('auth'), 'no second authentication');

        self::$sandbox->control('faults', ['path' => self::PROCESSEXT, 'fault' => '503', 'times' => 1]);
        $this->assertSame(FeeStatus::PENDING, $client->feeProcess('123456', Sandbox::requestId('php-log'))->status);
        $this->assertOne($global, 'retry', 'info', 'b2copy', 'status_5xx');
        $this->assertSame([], $global->events('request'), 'no debug event at info');
        foreach ($global->records as $r) {
            $this->assertContains($r['level'], ['error', 'warning', 'info'], $global->dump());
        }
        $this->assertCount(4, $global->records, $global->dump());

        // The client's own logger takes its events instead of the process-wide one.
        $own = new CollectingLogger();
        $client->setLogger($own, 'debug');
        $client->feeProcess('123456', Sandbox::requestId('php-log'));
        $this->assertCount(1, $own->events('request', 'processext'), $own->dump());
        $this->assertSame('debug', $own->events('request')[0]['level']);
        $this->assertSame('http', $own->events('request')[0]['target']);
        $this->assertCount(4, $global->records, 'the process-wide logger saw none of it');

        // Removed: the process-wide logger applies again.
        $client->setLogger(null);
        $again = new CollectingLogger();
        B2c::setLogger($again, 'debug');
        $client->feeProcess('123456', Sandbox::requestId('php-log'));
        $this->assertCount(1, $again->events('request', 'processext'), $again->dump());
        $this->assertCount(1, $own->records, 'the removed logger got nothing more');

        // The statistics agree with the sandbox's own counters.
        $d = self::delta($b0, self::$sandbox->stats('b2copy'));
        $s = $client->stats();
        $this->assertInstanceOf(Stats::class, $s);
        $this->assertSame(1, $d['faults_injected']);
        $this->assertSame($d['auth_ok'], $s->authExchanges, $s->json);
        $this->assertSame($d['refresh_ok'], $s->refreshes, $s->json);
        $this->assertSame([1, 1], [$s->authExchanges, $s->refreshes], $s->json);
        $this->assertSame(1, $s->unauthorized, $s->json);
        $this->assertSame(1, $s->retriesByCause['status_5xx'] ?? null, $s->json);
        $this->assertSame(1, $s->retries, $s->json);
        $this->assertSame(0, $s->reauths);
        $this->assertSame(0, $s->suspicious);
        $this->assertSame(0, $s->deadlineExceeded);
        $this->assertInstanceOf(Latency::class, $s->latency['processext']);
        $this->assertSame($d['process_calls'] + $d['faults_injected'], $s->latency['processext']->count, $s->json);
        $this->assertSame(1, $s->latency['authexternalcrm']->count, $s->json);
        $this->assertSame(1, $s->latency['refreshtoken']->count, $s->json);
        $this->assertSame($d['auth_ok'] + $d['refresh_ok'] + $d['process_calls'] + $d['faults_injected'], $s->requests, $s->json);
        $p = $s->latency['processext'];
        $this->assertGreaterThan(0, $p->p50Us);
        $this->assertGreaterThanOrEqual($p->p50Us, $p->p90Us);
        $this->assertGreaterThanOrEqual($p->p90Us, $p->p99Us);
        $this->assertGreaterThanOrEqual($p->p99Us, $p->maxUs);
        $this->assertGreaterThanOrEqual(1, $s->connectionsOpened);
        $this->assertSame(json_decode($s->json, true)['connections_opened'], $s->connectionsOpened);

        $this->assertNoSecret($global, $own, $again);
        foreach (self::SECRETS as $secret) {
            $this->assertStringNotContainsString($secret, $s->json);
        }
        ScanLog::line($s->json);
        $client->close();
    }

    // ---- B2BINPAY: the suspicious refresh ----

    public function testB2binpaySuspiciousRefreshReachesTheLoggerAtWarning(): void
    {
        $global = new CollectingLogger();
        B2c::setLogger($global, 'warning');
        $bp = self::b2binpay();
        $b0 = self::$sandbox->stats('b2binpay');
        $this->suspiciousRefresh($bp);
        $d = self::delta($b0, self::$sandbox->stats('b2binpay'));
        $this->assertOne($global, 'suspicious_refresh', 'warning', 'b2binpay');
        $this->assertSame([], $global->events('auth'), 'no info event at warning');
        $this->assertCount(1, $global->records, $global->dump());

        $s = $bp->stats();
        $this->assertSame(1, $s->suspicious, $s->json);
        $this->assertSame($d['refresh_replayed'], $s->suspicious, $s->json);
        $this->assertSame($d['token_ok'], $s->authExchanges, $s->json);
        $this->assertSame(2, $s->latency['token']->count ?? null, $s->json);
        $this->assertSame(1, $s->latency['token_refresh']->count ?? null, $s->json);
        $this->assertSame(1, $bp->counters()->suspicious);

        // The handle's own logger at info: the suspicious event and both logins, and the
        // process-wide logger nothing.
        $own = new CollectingLogger();
        $bp->setLogger($own, 'info');
        B2c::setLogger($global, 'debug');
        $this->suspiciousRefresh($bp);
        $this->assertOne($own, 'suspicious_refresh', 'warning', 'b2binpay');
        $auth = $own->events('auth');
        $this->assertCount(2, $auth, $own->dump());
        $this->assertSame(['info', 'info'], array_column($auth, 'level'));
        $this->assertStringContainsString('suspicious', $auth[1]['message']);
        $this->assertCount(1, $global->records, 'the process-wide logger saw none of it');
        $this->assertSame(2, $bp->stats()->suspicious);
        $this->assertNoSecret($global, $own);
        $bp->close();
    }

    /** Without a logger the library's own stderr line; setLogStderr(false) silences it; a logger takes it instead. */
    public function testSuspiciousRefreshStderrLineAndLogger(): void
    {
        $run = function (string $mode): array {
            $proc = proc_open(
                [PHP_BINARY, __DIR__ . '/fixtures/suspicious-refresh.php', self::$sandbox->url, $mode],
                [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                $pipes,
            );
            $out = stream_get_contents($pipes[1]);
            $err = stream_get_contents($pipes[2]);
            $rc = proc_close($proc);
            $this->assertSame(0, $rc, "child ($mode) failed: $out $err");
            if ($err !== '') {
                ScanLog::line($err);
            }
            return [$out, $err];
        };

        [$out, $err] = $run('none');
        $this->assertSame("done\n", $out);
        $this->assertStringContainsString('suspicious_refresh', $err);
        $this->assertStringContainsString('SUSPICIOUS', $err);
        $this->assertSame(1, substr_count($err, "\n"), "one line: $err");
        $this->assertStringNotContainsString('sandbox-password', $err);

        [$out, $err] = $run('off');
        $this->assertSame(["done\n", ''], [$out, $err]);

        [$out, $err] = $run('logger');
        $this->assertSame('', $err, 'with a logger nothing goes to stderr');
        [$done, $json] = explode("\n", $out, 2);
        $this->assertSame('done', $done);
        $records = json_decode($json, true);
        // Two rounds (the second from a shutdown function registered after the logger):
        // login, suspicious refresh, login again, each time.
        $round = [['info', 'b2binpay', 'auth'], ['warning', 'b2binpay', 'suspicious_refresh'], ['info', 'b2binpay', 'auth']];
        $this->assertSame(array_merge($round, $round), $records, $out);
    }

    // ---- callback safety ----

    public function testALoggerThatThrowsLosesOnlyThatEvent(): void
    {
        $throwing = new class () {
            public int $calls = 0;

            public function log($level, $message, array $context = []): void
            {
                $this->calls++;
                if ($this->calls % 2 === 0) {
                    $none = [];
                    $none['x'] .= 'a warning, an exception under PHPUnit'; // @phpstan-ignore-line
                }
                throw new \LogicException('from the logger');
            }
        };
        B2c::setLogger($throwing, 'debug');
        $client = self::client();
        $this->assertSame(FeeStatus::PENDING, $client->feeProcess('123456', Sandbox::requestId('php-throw'))->status);
        $bp = self::b2binpay();
        $bp->setLogger($throwing, 'debug');
        $this->assertNotSame('', $bp->accessToken()->token);
        $this->assertGreaterThanOrEqual(4, $throwing->calls, 'the logger was called, and its exceptions dropped');

        // The routing still works afterwards.
        $log = new CollectingLogger();
        B2c::setLogger($log, 'debug');
        $client->feeProcess('123456', Sandbox::requestId('php-throw'));
        $this->assertCount(1, $log->events('request', 'processext'), $log->dump());
    }

    public function testCloseAndDestructionRemoveTheHandlesOwnCallback(): void
    {
        $base = LogRouting::trackedHandles();
        $log = new CollectingLogger();
        $client = self::client();
        $bp = self::b2binpay();
        $client->setLogger($log, 'debug');
        $bp->setLogger($log, 'debug');
        $client->setLogger($log, 'info'); // replaced, still one
        $this->assertSame($base + 2, LogRouting::trackedHandles());
        $client->close();
        $this->assertSame($base + 1, LogRouting::trackedHandles(), 'close() removed the client\'s callback');
        $bp->close();
        $this->assertSame($base, LogRouting::trackedHandles());
        $client->close();
        foreach ([
            static fn () => $client->setLogger($log),
            static fn () => $client->setLogger(null),
            static fn () => $client->stats(),
            static fn () => $bp->setLogger($log),
            static fn () => $bp->stats(),
        ] as $call) {
            try {
                $call();
                $this->fail('a closed handle was used');
            } catch (ClosedException $e) {
                $this->assertSame(Status::NULL_POINTER->value, $e->getCode());
            }
        }

        // The destructor (no close()): the handle goes with its callback; the next one logs fine.
        $gone = self::client();
        $gone->setLogger($log, 'debug');
        $gone->feeProcess('123456', Sandbox::requestId('php-gone'));
        unset($gone);
        $this->assertSame($base, LogRouting::trackedHandles());
        $n = count($log->records);
        $this->assertGreaterThan(0, $n);
        $other = self::client();
        $other->feeProcess('123456', Sandbox::requestId('php-gone'));
        $this->assertCount($n, $log->records, 'a new client does not inherit a freed one\'s logger');
        $other->close();
    }

    /** What register_shutdown_function runs at the end of the request, called here directly. */
    public function testShutdownRemovesEveryCallback(): void
    {
        $global = new CollectingLogger();
        $own = new CollectingLogger();
        B2c::setLogger($global, 'debug');
        B2c::setLogStderr(false);
        $client = self::client();
        $client->setLogger($own, 'debug');
        $client->authenticate();
        $bp = self::b2binpay();
        $bp->setLogger($own, 'debug');
        $bp->login();
        $other = self::client();
        $other->authenticate();
        $this->assertSame(2, LogRouting::trackedHandles());
        $this->assertCount(2, $own->events('auth'), $own->dump());
        $this->assertCount(1, $global->events('auth'), $global->dump());
        [$nOwn, $nGlobal] = [count($own->records), count($global->records)];

        LogRouting::shutdown();
        $this->assertNull(LogRouting::processLogger());
        $this->assertSame(0, LogRouting::trackedHandles());
        $client->feeProcess('123456', Sandbox::requestId('php-shut'));
        $other->feeProcess('123456', Sandbox::requestId('php-shut'));
        $bp->refresh();
        $this->assertSame([$nOwn, $nGlobal], [count($own->records), count($global->records)], 'no callback is called after shutdown');
        $client->close();
        $other->close();
        $bp->close();
    }

    // ---- statistics ----

    public function testStatsParseToleratesUnknownAndMissingKeys(): void
    {
        $json = json_encode([
            'requests' => 7, 'retries' => 2, 'retries_by_cause' => ['status_5xx' => 1, 'a_new_cause' => 1],
            'auth_exchanges' => 1, 'refreshes' => 3, 'reauths' => 4, 'unauthorized' => 5, 'suspicious' => 6,
            'connections_opened' => 8, 'tls_handshakes' => 9, 'tls_resumed' => 10, 'dns_lookups' => 11,
            'deadline_exceeded' => 12, 'store_loads' => 13, 'store_adopted' => 14,
            'latency' => [
                'processext' => ['count' => 5, 'p50_us' => 10, 'p90_us' => 20, 'p99_us' => 30, 'max_us' => 40, 'p999_us' => 35],
                'a_new_endpoint' => ['count' => 1],
            ],
            'a_new_counter' => 99, 'a_new_object' => ['x' => [1, 2, ['y' => 'z']]], 'a_new_string' => 'text',
        ]);
        $s = Stats::fromJson($json);
        $this->assertSame(
            [7, 2, 1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14],
            [$s->requests, $s->retries, $s->authExchanges, $s->refreshes, $s->reauths, $s->unauthorized, $s->suspicious,
             $s->connectionsOpened, $s->tlsHandshakes, $s->tlsResumed, $s->dnsLookups, $s->deadlineExceeded,
             $s->storeLoads, $s->storeAdopted],
        );
        $this->assertSame(['status_5xx' => 1, 'a_new_cause' => 1], $s->retriesByCause);
        $this->assertEquals(new Latency(5, 10, 20, 30, 40), $s->latency['processext']);
        $this->assertEquals(new Latency(1, 0, 0, 0, 0), $s->latency['a_new_endpoint']);
        $this->assertSame($json, $s->json);

        // An older library's shorter object: what is missing reads 0; a 64-bit counter stays exact.
        $s = Stats::fromJson('{"requests": 9223372036854775807, "retries": 18446744073709551615, "latency": {}, "retries_by_cause": {}}');
        $this->assertSame([PHP_INT_MAX, PHP_INT_MAX, 0, 0], [$s->requests, $s->retries, $s->authExchanges, $s->storeAdopted]);
        $this->assertSame([[], []], [$s->retriesByCause, $s->latency]);

        foreach (['', 'null', '[1,2]', '"x"', '{"requests": '] as $bad) {
            try {
                Stats::fromJson($bad);
                $this->fail("parsed '$bad'");
            } catch (ProtocolException $e) {
                $this->assertSame(Status::PROTOCOL->value, $e->getCode());
            }
        }
    }

    public function testFreshHandlesHaveZeroStats(): void
    {
        foreach ([self::client(), self::b2binpay()] as $h) {
            $s = $h->stats();
            $this->assertSame([0, 0, 0, 0, []], [$s->requests, $s->retries, $s->authExchanges, $s->unauthorized, $s->latency]);
            $keys = array_keys(json_decode($s->json, true));
            foreach (['requests', 'retries', 'retries_by_cause', 'auth_exchanges', 'refreshes', 'reauths', 'unauthorized',
                'suspicious', 'connections_opened', 'tls_handshakes', 'tls_resumed', 'dns_lookups', 'deadline_exceeded',
                'store_loads', 'store_adopted', 'latency'] as $k) {
                $this->assertContains($k, $keys, "the library sends $k");
            }
            $h->close();
        }
    }
}
