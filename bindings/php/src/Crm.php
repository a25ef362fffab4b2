<?php

declare(strict_types=1);

namespace B2c;

use FFI;

/**
 * A CRM Open API client for one API key: signed calls over one keep-alive pool
 * (b2c_crm_new). The array keys are the JSON configuration keys of b2c_crm_new: base_url,
 * api_key (required); deadline_ms (30000: one call with its retries), raw_body (false: JSON
 * bodies are sent in their normal form, see call()), and the transport keys of Client
 * (connect_timeout_ms, read_timeout_ms, request_timeout_ms, max_response_bytes,
 * extra_ca_pem, allow_insecure_http, user_agent, max_idle_connections, idle_timeout_s,
 * dns_cache_s, proxy, no_proxy). Unknown keys throw InvalidArgumentException (code
 * Status::CONFIG). No network traffic happens here.
 *
 * The stateless helpers (CrmOpenApi::signRequest(), verifySignature(), verifyWebhook())
 * stay for requests made with another HTTP stack.
 */
final class Crm
{
    use NativeHandle;
    use HandleLogging;

    private const KIND = 'Crm';
    private const FREE_FUNCTION = 'b2c_crm_free';
    private const SET_LOG_FUNCTION = 'b2c_crm_set_log_callback';
    private const STATS_FUNCTION = 'b2c_crm_stats';
    private const CALL_FUNCTION = 'b2c_crm_call';
    private const CALL_WITH_FUNCTION = 'b2c_crm_call_with';

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        try {
            $json = json_encode($config === [] ? new \stdClass() : $config, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        } catch (\JsonException $e) {
            throw new InvalidArgumentException('config is not JSON-encodable: ' . $e->getMessage(), Status::CONFIG->value);
        }
        $ffi = Library::ffi();
        $out = $ffi->new('b2c_crm*');
        $err = Library::newError();
        $st = $ffi->b2c_crm_new($json, FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        $this->ptr = $out;
    }

    /**
     * A signed call: $method (GET, POST, PUT, PATCH or DELETE) on $path (relative to
     * base_url, with an optional query), with `key: <API key>` and, for POST, PUT and PATCH
     * with a body, `signature: sha256=<HMAC of exactly the bytes sent>`. GET and DELETE take
     * no body (a $body other than null or "" throws InvalidArgumentException).
     *
     * The body: the vendor's samples sign JSON.stringify(JSON.parse(body)) rather than the
     * raw bytes, so by default ($raw null with the handle's raw_body false, or $raw false)
     * the JSON NORMAL FORM of $body is sent and signed (no whitespace, JSON.stringify's
     * escaping and number format, array-index keys first): the signature holds under either
     * reading. It never changes a value: a number a double cannot hold exactly (a big
     * integer, a long decimal), a duplicate key, or a body that is not JSON throws
     * InvalidArgumentException naming raw mode. $raw true (or raw_body in the configuration)
     * sends and signs the bytes of $body untouched.
     *
     * Every final HTTP answer is a Response whatever its status, except 403 invalid_api_key
     * (AuthException, code AUTH_REJECTED) and 403 invalid_signature (SignatureException,
     * code SIGNATURE_INVALID). $idempotent and the other exceptions as Client::call().
     */
    public function call(string $method, string $path, ?string $body = null, ?bool $idempotent = null, ?bool $raw = null): Response
    {
        return Library::call(self::CALL_FUNCTION, self::CALL_WITH_FUNCTION, $this->handle(), $method, $path, $body, $idempotent, $raw);
    }

    /**
     * @internal Before the handle is freed (NativeHandle::close()): its own log callback
     * goes first, so no closure is called for a freed handle. Never throws.
     */
    public function releaseCallbacks(): void
    {
        if ($this->ptr !== null) {
            $this->detachLogger();
        }
    }

    public function __debugInfo(): array
    {
        return ['crm' => $this->ptr === null ? 'closed' : 'open (API key redacted)'];
    }
}
