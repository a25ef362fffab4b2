<?php

/*
 * PHP clients of scripts/bench-transport.sh, one fee call at a time:
 *
 *   php bench.php curl|ffi BASE_URL N WARMUP KEY_PEM_FILE
 *
 * curl: one curl handle reused (keep-alive), POSTing the body b2c sends with Content-Type,
 *       Accept and Authorization: Bearer bench-access; json_decode'd, status must be 2.
 * ffi:  B2c\Client (bindings/php, through FFI; B2C_LIBRARY names the library) with the
 *       bench configuration, authenticate() once, then feeProcess('123456', 'bench-1');
 *       the result must be SUCCESS.
 * Prints: calls=N wall_us=.. cpu_us=.. (CPU = user+sys of this process, getrusage()).
 */

declare(strict_types=1);

require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

function cpu_us(): float
{
    $r = getrusage();
    return ($r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec']) * 1e6 + $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'];
}

function fail(string $msg): never
{
    fwrite(STDERR, "bench.php: $msg\n");
    exit(1);
}

[$mode, $base, $n, $warm, $keyFile] = array_slice($argv, 1) + [null, null, null, null, null];
if ($keyFile === null) {
    fail('usage: php bench.php curl|ffi BASE_URL N WARMUP KEY_PEM_FILE');
}
$n = (int) $n;
$warm = (int) $warm;

if ($mode === 'curl') {
    $h = curl_init($base . '/api/admin/fees/v2/fee/feeservice/processext');
    curl_setopt_array($h, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => '{"account_login":"123456","request_id":"bench-1"}',
        CURLOPT_HTTPHEADER => [
            'Content-Type: application/json',
            'Accept: application/json',
            'Authorization: Bearer bench-access',
        ],
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_PROXY => '',
        CURLOPT_USERAGENT => 'bench-php-curl',
        CURLOPT_TIMEOUT_MS => 10000,
    ]);
    $call = static function () use ($h): void {
        $body = curl_exec($h);
        if ($body === false || curl_getinfo($h, CURLINFO_RESPONSE_CODE) !== 200) {
            fail('curl: ' . curl_error($h) . ' HTTP ' . curl_getinfo($h, CURLINFO_RESPONSE_CODE));
        }
        if ((json_decode($body, true)['status'] ?? null) !== 2) {
            fail("curl: unexpected answer $body");
        }
    };
} elseif ($mode === 'ffi') {
    $client = new B2c\Client([
        'base_url' => $base,
        'admin_id' => 1,
        'device_ip' => '127.0.0.1',
        'key_id' => 'k',
        'private_key_pem' => file_get_contents($keyFile),
    ]);
    $client->authenticate();
    $call = static function () use ($client): void {
        $r = $client->feeProcess('123456', 'bench-1');
        if ($r->status !== B2c\FeeStatus::SUCCESS) {
            fail('feeProcess: status ' . $r->status->name);
        }
    };
} else {
    fail("unknown mode $mode (curl or ffi)");
}

for ($i = 0; $i < $warm; $i++) {
    $call();
}
$t0 = hrtime(true);
$c0 = cpu_us();
for ($i = 0; $i < $n; $i++) {
    $call();
}
$c1 = cpu_us();
$t1 = hrtime(true);
printf("calls=%d wall_us=%.0f cpu_us=%.0f\n", $n, ($t1 - $t0) / 1000, $c1 - $c0);
