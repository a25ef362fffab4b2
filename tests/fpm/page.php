<?php

/*
 * The PHP-FPM proof's page (scripts/proof-fpm.sh): what a CRM back office does in one request.
 *
 *   GET /fee        one B2c\Client feeProcess (B2COPY processext, no wait)
 *   GET /b2binpay   one B2c\B2binpay accessToken()
 *   GET /ping       how the binding was loaded (FFI mode "scope" = preloaded), no network
 *
 * The handle is taken with B2c\Client::shared() / B2c\B2binpay::shared() and dies with the
 * request, as every PHP object does under PHP-FPM; the native client behind it stays in the
 * worker for the next request. The configuration comes from the JSON file named by the
 * pool's B2C_PROOF_CONFIG (the proof rewrites it for each run: sandbox URL, token store):
 *   {"api": "shared"|"new", "b2copy": {...b2c_client_new keys...}, "b2binpay": {...}}
 *
 * Without the shared() constructors (a binding older than issue 8), "shared" falls back to
 * `new B2c\Client(...)` per request, and the answer says "api": "fallback-new" (the proof
 * then fails: it requires "shared").
 *
 * The answer is JSON: ok, pid, api, the call's result and the native object's counters
 * (never a token: at most a short hash of one), and the library's WARN/ERROR log events
 * met during the request (a process-wide logger installed for this request).
 */

declare(strict_types=1);

require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

/** Collects the library's log events of this request (B2c::setLogger accepts any log()). */
final class ProofLogCollector
{
    /** @var list<string> "level event: message" */
    public array $events = [];

    public function log($level, $message, array $context = []): void
    {
        $this->events[] = $level . ' ' . ($context['b2c_event'] ?? '?') . ': ' . $message;
    }
}

/**
 * A handle of $class (B2c\Client or B2c\B2binpay) for $config, as $api asks.
 *
 * @param class-string $class
 * @return array{object, string} the handle and how it was made
 */
function proof_handle(string $class, array $config, string $api): array
{
    if ($api === 'shared') {
        if (method_exists($class, 'shared')) {
            return [$class::shared($config), 'shared'];
        }
        return [new $class($config), 'fallback-new'];
    }
    return [new $class($config), 'new'];
}

header('Content-Type: application/json');
$started = hrtime(true);
$answer = ['ok' => false, 'pid' => getmypid()];
$logs = new ProofLogCollector();
try {
    $path = getenv('B2C_PROOF_CONFIG');
    $raw = is_string($path) && $path !== '' ? @file_get_contents($path) : false;
    if ($raw === false) {
        throw new RuntimeException('B2C_PROOF_CONFIG is not set to a readable file (the pool\'s env[])');
    }
    $cfg = json_decode($raw, true, 32, JSON_THROW_ON_ERROR);
    $api = (string) ($cfg['api'] ?? 'shared');
    B2c\B2c::setLogger($logs, 'warning');
    $what = parse_url($_SERVER['REQUEST_URI'] ?? '/fee', PHP_URL_PATH);

    if ($what === '/ping') {
        $answer += [
            'mode' => B2c\Library::mode(),
            'version' => B2c\B2c::version(),
            'client_shared' => method_exists(B2c\Client::class, 'shared'),
            'b2binpay_shared' => method_exists(B2c\B2binpay::class, 'shared'),
            'ffi_enable' => ini_get('ffi.enable'),
            'preload' => ini_get('opcache.preload'),
        ];
    } elseif ($what === '/b2binpay') {
        [$bp, $answer['api']] = proof_handle(B2c\B2binpay::class, $cfg['b2binpay'], $api);
        $t = $bp->accessToken();
        $c = $bp->counters();
        $s = $bp->stats();
        $answer += [
            'token_sha' => substr(hash('sha256', $t->token), 0, 12),
            'suspicious_now' => $t->suspicious,
            'logins' => $c->logins,
            'refreshes' => $c->refreshes,
            'suspicious' => $c->suspicious,
            'store_loads' => $s->storeLoads,
            'store_adopted' => $s->storeAdopted,
            'connections_opened' => $s->connectionsOpened,
        ];
    } else {
        [$client, $answer['api']] = proof_handle(B2c\Client::class, $cfg['b2copy'], $api);
        $rid = sprintf('fpm-%d-%s', getmypid(), bin2hex(random_bytes(6)));
        $r = $client->feeProcess('123456', $rid);
        $s = $client->stats();
        $answer += [
            'fee' => $r->status->name,
            'auth_exchanges' => $s->authExchanges,
            'refreshes' => $s->refreshes,
            'reauths' => $s->reauths,
            'store_loads' => $s->storeLoads,
            'store_adopted' => $s->storeAdopted,
            'connections_opened' => $s->connectionsOpened,
            'requests' => $s->requests,
        ];
    }
    $answer['ok'] = true;
} catch (Throwable $e) {
    http_response_code(500);
    $answer['error'] = get_class($e) . ': ' . $e->getMessage();
}
$answer['warnings'] = $logs->events;
$answer['ms'] = intdiv(hrtime(true) - $started, 1_000_000);
echo json_encode($answer, JSON_UNESCAPED_SLASHES), "\n";
