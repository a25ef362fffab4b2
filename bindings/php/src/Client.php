<?php

declare(strict_types=1);

namespace B2c;

use FFI;
use FFI\CData;

/**
 * A B2COPY client for one service admin (configuration, key, tokens, connections).
 *
 * The array keys are the JSON configuration keys of b2c_client_new: base_url, admin_id,
 * device_ip, key_id, private_key_pem | private_key_path (required); issuer, jwt_ttl_s,
 * jwt_kid_header, connect_timeout_ms, read_timeout_ms, request_timeout_ms,
 * call_deadline_ms, poll_interval_ms, retry_base_ms, retry_max_ms, refresh_margin_s,
 * max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent, max_idle_connections,
 * idle_timeout_s, dns_cache_s, proxy, no_proxy. Unknown keys (and a user_agent with CR/LF, a
 * base_url with user:password@, a broken extra_ca_pem, a duration over one day) throw
 * InvalidArgumentException (code Status::CONFIG). private_key_pem may also be a Key.
 */
final class Client
{
    use NativeHandle;
    use HandleLogging;

    private const KIND = 'Client';
    private const FREE_FUNCTION = 'b2c_client_free';
    private const SET_LOG_FUNCTION = 'b2c_client_set_log_callback';
    private const STATS_FUNCTION = 'b2c_client_stats';

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        if (($config['private_key_pem'] ?? null) instanceof Key) {
            $config['private_key_pem'] = $config['private_key_pem']->privatePem();
        }
        try {
            $json = json_encode($config === [] ? new \stdClass() : $config, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        } catch (\JsonException $e) {
            throw new InvalidArgumentException('config is not JSON-encodable: ' . $e->getMessage(), Status::CONFIG->value);
        }
        $ffi = Library::ffi();
        $out = $ffi->new('b2c_client*');
        $err = Library::newError();
        $st = $ffi->b2c_client_new($json, FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        $this->ptr = $out;
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
