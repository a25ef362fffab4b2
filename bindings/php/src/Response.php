<?php

declare(strict_types=1);

namespace B2c;

/**
 * The final HTTP answer of a generic call (Client::call(), B2binpay::call(), Crm::call()):
 * every answer is one, whatever its status (a 404 or a 500 is a Response, not an
 * exception; exceptions are for what is not an answer: network, timeout, TLS, a body over
 * max_response_bytes, a request refused before it was sent).
 */
final class Response
{
    public function __construct(
        /** The HTTP status, e.g. 200, 404. */
        public readonly int $status,
        /** The body as received, byte for byte ("" when there was none). */
        public readonly string $body,
    ) {
    }

    /**
     * The body decoded as JSON: arrays for objects by default ($associative false: stdClass),
     * integers past PHP_INT_MAX as strings (JSON_BIGINT_AS_STRING, part of the default
     * $flags) rather than lossy floats. A body that is not JSON (an empty one included)
     * throws \JsonException.
     */
    public function json(bool $associative = true, int $flags = JSON_BIGINT_AS_STRING): mixed
    {
        return json_decode($this->body, $associative, 512, $flags | JSON_THROW_ON_ERROR);
    }
}
