<?php

declare(strict_types=1);

namespace B2c;

/** A valid B2BINPAY access token, returned by B2binpay::accessToken(). */
final class AccessToken
{
    public function __construct(
        /** The token, for `Authorization: Bearer <token>`. */
        public readonly string $token,
        /**
         * True when, on the way, an unexpired refresh token was rejected (all tokens were
         * dropped and the handle logged in again): treat it as a security event.
         */
        public readonly bool $suspicious,
    ) {
    }

    public function __debugInfo(): array
    {
        return ['token' => '(redacted)', 'suspicious' => $this->suspicious];
    }
}
