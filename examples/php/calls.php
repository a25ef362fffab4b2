<?php

/*
 * Generic calls: any other B2COPY request with the client's token (B2c\Client::call), the
 * token for your own HTTP stack (accessToken), and, when configured, a signed CRM Open API
 * call (B2c\Crm) and a B2BINPAY request (B2c\B2binpay::call).
 *
 * Environment: as fee.php (B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID,
 * B2C_PRIVATE_KEY), plus B2C_CALL_PATH (default "/api/admin/v2/example?x=1", a GET);
 * optional B2C_CRM_URL and B2C_CRM_API_KEY (a POST of a JSON body to B2C_CRM_PATH, default
 * "/api/clients"); optional B2C_B2BINPAY_URL, B2C_B2BINPAY_LOGIN, B2C_B2BINPAY_PASSWORD (a GET
 * of B2C_B2BINPAY_PATH, default "/api/v3/wallet/"). Against b2c-sandbox (lenient profile)
 * the CRM Open API is at <sandbox>/crm with API key sandbox-api-key, B2BINPAY at
 * <sandbox>/b2binpay with sandbox-login / sandbox-password.
 *
 * Prints each answer's status and body; exits 0 when every answer was 2xx, 1 otherwise.
 *   php examples/php/calls.php
 */

declare(strict_types=1);

// With Composer: require 'vendor/autoload.php'; here, the binding's own autoloader.
require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

use B2c\B2binpay;
use B2c\B2cException;
use B2c\Client;
use B2c\Crm;
use B2c\LibraryNotFoundException;
use B2c\Response;

function env(string $name, ?string $default = null): string
{
    $v = getenv($name);
    if ($v === false || $v === '') {
        $v = $default;
    }
    if ($v === null) {
        fwrite(STDERR, "calls.php: set $name\n");
        exit(2);
    }
    return $v;
}

function show(string $what, Response $r): bool
{
    echo "$what: HTTP {$r->status} {$r->body}\n";
    return $r->status >= 200 && $r->status < 300;
}

$ok = true;
try {
    $client = Client::shared([
        'base_url' => env('B2C_BASE_URL'),
        'admin_id' => (int) env('B2C_ADMIN_ID'),
        'device_ip' => env('B2C_DEVICE_IP'),
        'key_id' => env('B2C_KEY_ID'),
        'private_key_path' => env('B2C_PRIVATE_KEY'),
    ]);
    // Every final answer is a Response (a 404 too); exceptions are for what is not an answer.
    $path = env('B2C_CALL_PATH', '/api/admin/v2/example?x=1');
    $ok = show("B2COPY GET $path", $client->call('GET', $path)) && $ok;
    // For a request of your own HTTP stack: `Authorization: Bearer <token>`; never log it.
    $token = $client->accessToken();
    echo 'B2COPY access token: ', strlen($token), " characters\n";

    if (getenv('B2C_CRM_URL')) {
        $crm = new Crm(['base_url' => env('B2C_CRM_URL'), 'api_key' => env('B2C_CRM_API_KEY')]);
        // Sent (and signed) in its JSON normal form; a big integer would need raw mode:
        // $crm->call('POST', $path, $body, raw: true).
        $body = json_encode(['client' => 'Ann', 'amount' => '10.00'], JSON_PRETTY_PRINT);
        $crmPath = env('B2C_CRM_PATH', '/api/clients');
        $ok = show("CRM POST $crmPath", $crm->call('POST', $crmPath, $body)) && $ok;
        echo "CRM stats: {$crm->stats()->requests} requests\n";
    }
    if (getenv('B2C_B2BINPAY_URL')) {
        $bp = new B2binpay([
            'base_url' => env('B2C_B2BINPAY_URL'),
            'login' => env('B2C_B2BINPAY_LOGIN'),
            'password' => env('B2C_B2BINPAY_PASSWORD'),
        ]);
        $bpPath = env('B2C_B2BINPAY_PATH', '/api/v3/wallet/');
        $ok = show("B2BINPAY GET $bpPath", $bp->call('GET', $bpPath)) && $ok;
    }
} catch (B2cException $e) {
    echo 'failed: ' . get_class($e) . " [{$e->status()?->name}] {$e->getMessage()}\n";
    exit(1);
} catch (LibraryNotFoundException $e) {
    fwrite(STDERR, "calls.php: {$e->getMessage()}\n");
    exit(2);
}
exit($ok ? 0 : 1);
