<?php

declare(strict_types=1);

namespace B2c;

use FFI;

/**
 * One B2BINPAY credential and its tokens. The array keys are the JSON configuration keys of
 * b2c_b2binpay_new: base_url, login, password (required); refresh_margin_s, deadline_ms,
 * token_path and refresh_path (default /token/ and /token/refresh/, relative to base_url;
 * configurable in case B2BINPAY v3 moves them) and the transport keys (connect_timeout_ms, read_timeout_ms, request_timeout_ms,
 * max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent, max_idle_connections,
 * idle_timeout_s, dns_cache_s, proxy, no_proxy) and token_store (as Client).
 *
 * A token of lifetime L is renewed min(refresh_margin_s, L/5) before it expires.
 */
final class B2binpay
{
    use NativeHandle;
    use HandleLogging;
    use SharedHandle;

    private const KIND = 'B2binpay';
    private const FREE_FUNCTION = 'b2c_b2binpay_free';
    private const SET_LOG_FUNCTION = 'b2c_b2binpay_set_log_callback';
    private const STATS_FUNCTION = 'b2c_b2binpay_stats';
    private const SET_STORE_FUNCTION = 'b2c_b2binpay_set_token_store';
    private const NEW_FUNCTION = 'b2c_b2binpay_new';
    private const SHARED_FUNCTION = 'b2c_b2binpay_shared';
    private const SHARED_KIND = 'b2binpay';
    private const POINTER_TYPE = 'b2c_b2binpay*';
    private const CALL_FUNCTION = 'b2c_b2binpay_call';
    private const CALL_WITH_FUNCTION = 'b2c_b2binpay_call_with';

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        $this->ptr = self::openNative(self::NEW_FUNCTION, self::configJson($config));
    }

    /**
     * A handle of the process-wide shared B2BINPAY handle for $config (b2c_b2binpay_shared),
     * with the lifetime rules of Client::shared(): one native handle (tokens, connections)
     * per configuration for this process's requests; close() releases this handle only; a
     * logger or token store set from PHP is removed at the end of the request.
     *
     * @param array<string, mixed> $config the keys of the constructor
     */
    public static function shared(array $config): self
    {
        return self::openShared(self::configJson($config));
    }

    /** Obtain a token pair (POST /token/) and verify meta.sign. */
    public function login(): void
    {
        Library::callStatus('b2c_b2binpay_login', $this->handle());
    }

    /** Refresh the token pair now (single-flight). */
    public function refresh(): void
    {
        Library::callStatus('b2c_b2binpay_refresh', $this->handle());
    }

    /**
     * A valid access token (`Authorization: Bearer <token>`), logging in or refreshing ahead
     * of expiry as needed. `suspicious` is true only in the answer whose own renewal met a
     * rejected unexpired refresh token (all tokens were dropped and the handle logged in
     * again): treat that as a security event. It is reported once (a later call, answered
     * from the new pair, says false); an event met by refresh() is reported by no
     * accessToken(). counters() keeps the history.
     */
    public function accessToken(): AccessToken
    {
        $ffi = Library::ffi();
        $out = $ffi->new('char*');
        $flag = $ffi->new('int32_t');
        $err = Library::newError();
        $st = $ffi->b2c_b2binpay_access_token($this->handle(), FFI::addr($out), FFI::addr($flag), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return new AccessToken(Library::takeString($out), $flag->cdata !== 0);
    }

    /**
     * Logins, refreshes and suspicious refresh-token rejections since creation (the history
     * of the events AccessToken::$suspicious reports once, those met by refresh() included).
     */
    public function counters(): B2binpayCounters
    {
        $ffi = Library::ffi();
        $a = $ffi->new('uint64_t');
        $b = $ffi->new('uint64_t');
        $c = $ffi->new('uint64_t');
        $st = $ffi->b2c_b2binpay_counters($this->handle(), FFI::addr($a), FFI::addr($b), FFI::addr($c));
        if ($st !== 0) {
            Library::raise($st, null);
        }
        return new B2binpayCounters($a->cdata, $b->cdata, $c->cdata);
    }

    /**
     * Any other B2BINPAY API request (payouts, deposits, wallets): $method (GET, POST, PUT,
     * PATCH or DELETE) on $path (relative to base_url, with an optional query), $body sent as
     * JSON:API (application/vnd.api+json) when not null or "", `Authorization: Bearer` with
     * the token rules of accessToken(); a 401 renews the access token once and sends again
     * (a second 401 throws AuthException, code UNAUTHORIZED).
     *
     * Every final HTTP answer is a Response, whatever its status; exceptions and
     * $idempotent as Client::call().
     */
    public function call(string $method, string $path, ?string $body = null, ?bool $idempotent = null): Response
    {
        return Library::call(self::CALL_FUNCTION, self::CALL_WITH_FUNCTION, $this->handle(), $method, $path, $body, $idempotent);
    }

    /** Verify a B2BINPAY v2 deposit callback signature (constant time). */
    public static function verifyCallback(
        string $login,
        string $password,
        string $status,
        string $amount,
        string $trackingId,
        string $metaTime,
        string $sign,
    ): bool {
        return Library::callVerify('b2c_b2binpay_verify_callback', $login, $password, $status, $amount, $trackingId, $metaTime, $sign);
    }

    public function __debugInfo(): array
    {
        return ['b2binpay' => $this->ptr === null ? 'closed' : 'open (credentials redacted)'];
    }
}
