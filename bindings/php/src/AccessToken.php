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
         * True when the accessToken() call that returned this met, in its own renewal, a
         * rejected unexpired refresh token (all tokens were dropped and the handle logged
         * in again): treat it as a security event. Reported once: later calls, answered
         * from the new pair, say false, and so does every call after a refresh() that met
         * the event. B2binpay::counters()->suspicious is the history.
         */
        public readonly bool $suspicious,
    ) {
    }

    public function __debugInfo(): array
    {
        return ['token' => '(redacted)', 'suspicious' => $this->suspicious];
    }
}
