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

    public function __debugInfo(): array
    {
        return ['client' => $this->ptr === null ? 'closed' : 'open'];
    }
}
