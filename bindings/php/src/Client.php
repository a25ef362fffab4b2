<?php

declare(strict_types=1);

namespace B2c;

use FFI;

/**
 * A B2COPY client for one service admin (configuration, key, tokens, connections).
 *
 * The array keys are the JSON configuration keys of b2c_client_new: base_url, admin_id,
 * device_ip, key_id, private_key_pem | private_key_path (required); issuer, jwt_ttl_s,
 * jwt_kid_header, connect_timeout_ms, read_timeout_ms, request_timeout_ms,
 * call_deadline_ms, poll_interval_ms, retry_base_ms, retry_max_ms, refresh_margin_s,
 * max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent, max_idle_connections,
 * idle_timeout_s, dns_cache_s, proxy, no_proxy, token_store ({"type": "memory"}, the default,
 * or {"type": "file", "path": "/abs/dir"}: a 0700 directory of this user shared by every
 * process using it, see the README). Unknown keys (and a user_agent with CR/LF, a
 * base_url with user:password@, a broken extra_ca_pem, a duration over one day) throw
 * InvalidArgumentException (code Status::CONFIG). private_key_pem may also be a Key.
 */
final class Client
{
    use NativeHandle;
    use HandleLogging;
    use SharedHandle;

    private const KIND = 'Client';
    private const FREE_FUNCTION = 'b2c_client_free';
    private const SET_LOG_FUNCTION = 'b2c_client_set_log_callback';
    private const STATS_FUNCTION = 'b2c_client_stats';
    private const SET_STORE_FUNCTION = 'b2c_client_set_token_store';
    private const NEW_FUNCTION = 'b2c_client_new';
    private const SHARED_FUNCTION = 'b2c_client_shared';
    private const SHARED_KIND = 'b2copy';
    private const POINTER_TYPE = 'b2c_client*';
    private const CALL_FUNCTION = 'b2c_client_call';
    private const CALL_WITH_FUNCTION = 'b2c_client_call_with';

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        $this->ptr = self::openNative(self::NEW_FUNCTION, self::clientJson($config));
    }

    /**
     * A handle of the process-wide shared client for $config (b2c_client_shared): the same
     * configuration, whatever the order of its keys, is the same native client, with its
     * tokens and keep-alive connections, in this request and in the next ones this process
     * serves (a PHP-FPM worker). Each call returns a new Client; close() (or the destructor)
     * releases that handle only. The native client stays after the last handle is gone,
     * until B2c::clearShared() or the end of the process; after fork() a child gets its own.
     *
     * A logger (setLogger) or token store (setTokenStore) set on it applies to every handle
     * of the shared client, and is removed at the end of the request (and when this
     * request's last handle of it is closed): set it in every request. The `token_store`
     * configuration key (the file store) needs no PHP code and serves every request.
     *
     * @param array<string, mixed> $config the keys of the constructor
     */
    public static function shared(array $config): self
    {
        return self::openShared(self::clientJson($config));
    }

    /** @param array<string, mixed> $config */
    private static function clientJson(array $config): string
    {
        if (($config['private_key_pem'] ?? null) instanceof Key) {
            $config['private_key_pem'] = $config['private_key_pem']->privatePem();
        }
        return self::configJson($config);
    }

    /** Exchange a fresh external JWT for tokens now (optional: feeProcess does it). */
    public function authenticate(): void
    {
        $ffi = Library::ffi();
        $err = Library::newError();
        $st = $ffi->b2c_authenticate($this->handle(), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
    }

    /** An external JWT with this client's key and claims. */
    public function mintJwt(): string
    {
        $ffi = Library::ffi();
        $out = $ffi->new('char*');
        $err = Library::newError();
        $st = $ffi->b2c_client_mint_jwt($this->handle(), FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return Library::takeString($out);
    }

    /**
     * Charge the fees of withdrawal $requestId on $accountLogin.
     *
     * $waitSeconds null (or 0): one request; the result is PENDING or SUCCESS.
     * $waitSeconds > 0: poll until a final status or until the wait runs out
     * (StillPendingException). Status ERROR throws FeeException (details in the message).
     *
     * $onProgress(FeeStatus $status, int $attempt, int $elapsedMs) runs after every answer;
     * returning false cancels (CancelledException). A throwable it throws also cancels the
     * wait and is rethrown from here unchanged (PHP FFI cannot let it cross C frames).
     */
    public function feeProcess(
        string $accountLogin,
        string $requestId,
        ?float $waitSeconds = null,
        ?callable $onProgress = null,
    ): FeeResult {
        if ($waitSeconds === null || $waitSeconds == 0.0) {
            $waitMs = 0;
        } elseif (is_nan($waitSeconds) || $waitSeconds < 0) {
            throw new InvalidArgumentException('waitSeconds must be null or >= 0', Status::INVALID_ARGUMENT->value);
        } else {
            $waitMs = (int) min(0xFFFFFFFF, max(1, ceil($waitSeconds * 1000)));
        }

        $thrown = null;
        $cb = null;
        if ($onProgress !== null) {
            $cb = static function ($userdata, int $status, int $attempt, int $elapsedMs) use ($onProgress, &$thrown): int {
                try {
                    $s = FeeStatus::tryFrom($status) ?? $status;
                    return $onProgress($s, $attempt, $elapsedMs) === false ? 1 : 0;
                } catch (\Throwable $t) {
                    $thrown = $t;
                    return 1;
                }
            };
        }

        $ffi = Library::ffi();
        $fee = $ffi->new('int32_t');
        $err = Library::newError();
        $st = $ffi->b2c_fee_process(
            $this->handle(),
            $accountLogin,
            $requestId,
            $waitMs,
            $cb,
            null,
            FFI::addr($fee),
            FFI::addr($err),
        );
        if ($thrown !== null) {
            if (!FFI::isNull($err)) {
                $ffi->b2c_error_free($err);
            }
            throw $thrown;
        }
        if ($st !== 0) {
            $e = Library::makeException($st, $err);
            if (($e instanceof FeeException || $e instanceof StillPendingException) && $fee->cdata !== 0) {
                $e->feeStatus = FeeStatus::tryFrom($fee->cdata);
            }
            throw $e;
        }
        return new FeeResult(FeeStatus::from($fee->cdata), $accountLogin, $requestId);
    }

    /**
     * Any other B2COPY request: $method (GET, POST, PUT, PATCH or DELETE, any case) on
     * $path (relative to base_url: one leading '/', an optional query, visible ASCII, no
     * '#', no '.' or '..' segment), $body sent as application/json when not null or "",
     * with the access token in Authorization and the token rules of feeProcess() (renewed
     * ahead of expiry; a 401 refreshes, a failed refresh authenticates again, a 401 on the
     * renewed token throws AuthException with code UNAUTHORIZED).
     *
     * Every final HTTP answer is a Response, whatever its status (a 404 is a result, not an
     * exception). Exceptions are for what is not an answer: NetworkException,
     * TimeoutException, a body over max_response_bytes (ProtocolException), and a bad method
     * or path (InvalidArgumentException, nothing is sent).
     *
     * Retries (within call_deadline_ms; then the last answer is returned): $idempotent null
     * is the method's default (GET, PUT and DELETE are retried on transport failures, 5xx
     * and 429; POST and PATCH only when the connection could not be made); true retries any
     * method so, false none.
     */
    public function call(string $method, string $path, ?string $body = null, ?bool $idempotent = null): Response
    {
        return Library::call(self::CALL_FUNCTION, self::CALL_WITH_FUNCTION, $this->handle(), $method, $path, $body, $idempotent);
    }

    /**
     * A valid access token (renewed ahead of expiry as for feeProcess()), for B2COPY
     * requests made with another HTTP stack (`Authorization: Bearer <token>`). It is a
     * bearer credential: never log it. After a 401 from such a request call authenticate():
     * the library cannot see that answer.
     */
    public function accessToken(): string
    {
        return Library::callString('b2c_client_access_token', $this->handle());
    }

    public function __debugInfo(): array
    {
        return ['client' => $this->ptr === null ? 'closed' : 'open'];
    }
}
