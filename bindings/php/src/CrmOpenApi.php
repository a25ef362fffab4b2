<?php

declare(strict_types=1);

namespace B2c;

/**
 * CRM Open API request signing and CRM webhook verification, stateless, for requests made
 * with another HTTP stack (B2c\Crm makes signed calls itself). Binary-safe.
 *
 * THE BYTES SIGNED MUST BE THE BYTES SENT: sign the exact body you put on the wire, never a
 * re-encoding of it (json_encode it once, sign that string, send that string).
 */
final class CrmOpenApi
{
    /**
     * The `signature` header value: `sha256=<hex HMAC-SHA256(apiKey, body)>` for
     * POST/PATCH/PUT with a non-empty body, "" otherwise (then send no signature header).
     * Always send `key: <apiKey>` as well.
     *
     * $method must be GET, POST, PUT, PATCH or DELETE (any case, nothing around it); another
     * method, or an empty or header-unsafe $apiKey, throws InvalidArgumentException, so a
     * typo never yields an unsigned request.
     */
    public static function signRequest(string $apiKey, string $method, string $body): string
    {
        return Library::callString('b2c_crm_sign_request', $apiKey, $method, $body, strlen($body));
    }

    /**
     * Check a request's `signature` header against its body (constant time). An empty or
     * header-unsafe $apiKey throws InvalidArgumentException.
     */
    public static function verifySignature(string $apiKey, string $body, string $signature): bool
    {
        return Library::callVerify('b2c_crm_verify_signature', $apiKey, $body, strlen($body), $signature);
    }

    /**
     * Check a webhook's `X-Crm-Signature` (hex HMAC-SHA256 of the raw body keyed with the
     * webhook secret, with or without `sha256=`) in constant time. An empty $secret throws
     * InvalidArgumentException (anyone can compute an HMAC under an empty key).
     */
    public static function verifyWebhook(string $secret, string $body, string $signature): bool
    {
        return Library::callVerify('b2c_webhook_verify', $secret, strlen($secret), $body, strlen($body), $signature);
    }
}
