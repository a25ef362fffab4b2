<?php

declare(strict_types=1);

namespace B2c;

/**
 * Statistics of one handle since its creation (Client::stats(), B2binpay::stats(),
 * Crm::stats()): the JSON of b2c_client_stats / b2c_b2binpay_stats / b2c_crm_stats as fields. A key the library does not send
 * (an older library) reads 0; keys this binding does not know (a newer library) are
 * ignored here and kept in $json.
 */
final class Stats
{
    /** HTTP exchanges made. */
    public readonly int $requests;
    /** Attempts repeated after a retryable failure. */
    public readonly int $retries;
    /**
     * Retries by cause: dns_not_found, dns_temporary, connect, reset, read_timeout, deadline,
     * status_5xx, throttled, malformed, tls, proxy (only the causes met are present).
     *
     * @var array<string, int>
     */
    public readonly array $retriesByCause;
    /** Token exchanges with credentials (B2COPY authexternalcrm, B2BINPAY logins). */
    public readonly int $authExchanges;
    public readonly int $refreshes;
    /** Authentications again after a rejected refresh. */
    public readonly int $reauths;
    /** 401 answers. */
    public readonly int $unauthorized;
    /** Suspicious refreshes (B2BINPAY: an unexpired refresh token rejected). */
    public readonly int $suspicious;
    public readonly int $connectionsOpened;
    public readonly int $tlsHandshakes;
    public readonly int $tlsResumed;
    public readonly int $dnsLookups;
    /** Calls that ended because their deadline ran out. */
    public readonly int $deadlineExceeded;
    /** Reads of the token store. */
    public readonly int $storeLoads;
    /** Token pairs taken from the store (another process's, or an earlier handle's). */
    public readonly int $storeAdopted;
    /** Token pairs written to the store. */
    public readonly int $storeSaves;
    /** Store failures (each logged as a `store` event; b2c went on without the store). */
    public readonly int $storeErrors;
    /**
     * Per endpoint: B2COPY authexternalcrm, refreshtoken, processext; B2BINPAY token,
     * token_refresh; `call` for the generic calls (Client::call(), B2binpay::call()) and
     * every call of a Crm (only the endpoints called are present).
     *
     * @var array<string, Latency>
     */
    public readonly array $latency;
    /** The library's JSON, as returned. */
    public readonly string $json;

    private function __construct()
    {
    }

    /** Parse the JSON of b2c_client_stats / b2c_b2binpay_stats / b2c_crm_stats. */
    public static function fromJson(string $json): self
    {
        try {
            $d = json_decode($json, true, 64, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            $d = null;
        }
        if (!is_array($d) || ($d !== [] && array_is_list($d))) {
            throw new ProtocolException('libb2c statistics are not a JSON object', Status::PROTOCOL->value);
        }
        $s = new self();
        $s->requests = self::int($d['requests'] ?? 0);
        $s->retries = self::int($d['retries'] ?? 0);
        $byCause = [];
        foreach (self::map($d['retries_by_cause'] ?? null) as $cause => $n) {
            $byCause[(string) $cause] = self::int($n);
        }
        $s->retriesByCause = $byCause;
        $s->authExchanges = self::int($d['auth_exchanges'] ?? 0);
        $s->refreshes = self::int($d['refreshes'] ?? 0);
        $s->reauths = self::int($d['reauths'] ?? 0);
        $s->unauthorized = self::int($d['unauthorized'] ?? 0);
        $s->suspicious = self::int($d['suspicious'] ?? 0);
        $s->connectionsOpened = self::int($d['connections_opened'] ?? 0);
        $s->tlsHandshakes = self::int($d['tls_handshakes'] ?? 0);
        $s->tlsResumed = self::int($d['tls_resumed'] ?? 0);
        $s->dnsLookups = self::int($d['dns_lookups'] ?? 0);
        $s->deadlineExceeded = self::int($d['deadline_exceeded'] ?? 0);
        $s->storeLoads = self::int($d['store_loads'] ?? 0);
        $s->storeAdopted = self::int($d['store_adopted'] ?? 0);
        $s->storeSaves = self::int($d['store_saves'] ?? 0);
        $s->storeErrors = self::int($d['store_errors'] ?? 0);
        $latency = [];
        foreach (self::map($d['latency'] ?? null) as $endpoint => $l) {
            $l = self::map($l);
            $latency[(string) $endpoint] = new Latency(
                self::int($l['count'] ?? 0),
                self::int($l['p50_us'] ?? 0),
                self::int($l['p90_us'] ?? 0),
                self::int($l['p99_us'] ?? 0),
                self::int($l['max_us'] ?? 0),
            );
        }
        $s->latency = $latency;
        $s->json = $json;
        return $s;
    }

    /** @return array<array-key, mixed> a JSON object's members ([] for anything else) */
    private static function map(mixed $v): array
    {
        return is_array($v) && ($v === [] || !array_is_list($v)) ? $v : [];
    }

    /** A JSON counter as a 64-bit int (a value past PHP_INT_MAX saturates; not a number: 0). */
    private static function int(mixed $v): int
    {
        if (is_int($v)) {
            return $v;
        }
        if (is_string($v) && preg_match('/^\d+$/', $v)) {
            // JSON_BIGINT_AS_STRING: an integer past PHP_INT_MAX arrives as a string
            $i = filter_var($v, FILTER_VALIDATE_INT);
            return $i !== false ? $i : PHP_INT_MAX;
        }
        if (is_float($v) && is_finite($v)) {
            return $v >= PHP_INT_MAX ? PHP_INT_MAX : (int) $v;
        }
        return 0;
    }
}
