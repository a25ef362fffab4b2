<?php

/*
 * Charge the fees of one withdrawal through B2COPY and wait for the final status.
 *
 * Environment: B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID, B2C_PRIVATE_KEY (path
 * to the PEM private key), B2C_ACCOUNT (default "123456"), B2C_REQUEST_ID (default
 * "example-1"), B2C_WAIT_S (default 30), B2C_POLL_INTERVAL_MS (optional), B2C_LOG_LEVEL
 * (optional: a PSR-3 level name such as info or debug; libb2c's log events at that level
 * go to stderr), B2C_TOKEN_DIR (optional: the file token store, a 0700 directory shared by
 * every process using it) or B2C_REDIS (optional host:port: the Redis token store, with
 * the php-redis extension). libb2c is found as the binding documents: B2C_LIBRARY (a path),
 * else the system dynamic loader (libb2c.so.0.1, then libb2c.so).
 *
 * The client is B2c\Client::shared(), as a PHP-FPM application would make it: the worker's
 * next request with the same configuration finds the same client (tokens, connections).
 * With a token store, every process (and host) using it shares one token pair: run the
 * example twice with the same B2C_TOKEN_DIR and the second run makes no token exchange.
 *
 * Prints every status seen, the final one and the client's statistics; exits 0 on
 * SUCCESS, 1 otherwise.
 *   php examples/php/fee.php
 */

declare(strict_types=1);

// With Composer: require 'vendor/autoload.php'; here, the binding's own autoloader.
require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

use B2c\B2c;
use B2c\B2cException;
use B2c\Client;
use B2c\FeeException;
use B2c\FeeStatus;
use B2c\LibraryNotFoundException;
use B2c\RedisTokenStore;
use B2c\StillPendingException;

function env(string $name, ?string $default = null): string
{
    $v = getenv($name);
    if ($v === false || $v === '') {
        $v = $default;
    }
    if ($v === null) {
        fwrite(STDERR, "fee.php: set $name\n");
        exit(2);
    }
    return $v;
}

$account = env('B2C_ACCOUNT', '123456');
$requestId = env('B2C_REQUEST_ID', 'example-1');
$config = [
    'base_url' => env('B2C_BASE_URL'),
    'admin_id' => (int) env('B2C_ADMIN_ID'),
    'device_ip' => env('B2C_DEVICE_IP'),
    'key_id' => env('B2C_KEY_ID'),
    'private_key_path' => env('B2C_PRIVATE_KEY'),
];
if (getenv('B2C_POLL_INTERVAL_MS')) { // optional: faster polling against a sandbox
    $config['poll_interval_ms'] = (int) getenv('B2C_POLL_INTERVAL_MS');
}
if (getenv('B2C_TOKEN_DIR')) { // the file store: configuration only, serves every request
    $config['token_store'] = ['type' => 'file', 'path' => getenv('B2C_TOKEN_DIR')];
}

/** A minimal PSR-3-shaped logger (a Monolog logger works the same way). */
final class StderrLogger
{
    public function log($level, $message, array $context = []): void
    {
        fwrite(STDERR, "[$level] {$context['b2c_target']} {$context['b2c_event']}: $message\n");
    }
}

try {
    echo 'libb2c ', B2c::version(), "\n";
    if (getenv('B2C_LOG_LEVEL')) {
        B2c::setLogger(new StderrLogger(), getenv('B2C_LOG_LEVEL'));
    }
    $client = Client::shared($config);
    if (getenv('B2C_REDIS')) {
        // A store set from PHP on a shared client lasts one request: set it in every request.
        [$host, $port] = explode(':', getenv('B2C_REDIS')) + [1 => '6379'];
        $redis = new Redis();
        $redis->connect($host, (int) $port);
        $client->setTokenStore(new RedisTokenStore($redis, 'b2c-example:'));
    }
    $result = $client->feeProcess(
        $account,
        $requestId,
        (float) env('B2C_WAIT_S', '30'),
        function (FeeStatus $status, int $attempt, int $elapsedMs): void {
            echo "status {$status->name} (poll $attempt, $elapsedMs ms)\n";
        },
    );
} catch (FeeException $e) {
    echo "final ERROR: {$e->getMessage()}\n";
    exit(1);
} catch (StillPendingException $e) {
    echo "final PENDING (gave up waiting): {$e->getMessage()}\n";
    exit(1);
} catch (B2cException $e) {
    echo 'failed: ' . get_class($e) . " [{$e->status()?->name}] {$e->getMessage()}\n";
    exit(1);
} catch (LibraryNotFoundException | RedisException $e) {
    fwrite(STDERR, "fee.php: {$e->getMessage()}\n");
    exit(2);
}
echo "final {$result->status->name}\n";
$stats = $client->stats();
$p = $stats->latency['processext'] ?? null;
echo "stats: {$stats->requests} requests, {$stats->retries} retries, {$stats->authExchanges} authentications",
    $p !== null ? ", processext p50 {$p->p50Us} us, p99 {$p->p99Us} us ({$p->count} calls)" : '',
    ", token store: {$stats->storeAdopted} adopted, {$stats->storeSaves} saved, {$stats->storeErrors} errors\n";
exit($result->succeeded() ? 0 : 1);
