<?php

declare(strict_types=1);

namespace B2c;

/** Counters of one B2binpay handle since its creation, returned by B2binpay::counters(). */
final class B2binpayCounters
{
    public function __construct(
        /** Logins (POST /token/) made. */
        public readonly int $logins,
        /** Token refreshes made. */
        public readonly int $refreshes,
        /** Unexpired refresh tokens the server rejected (security events). */
        public readonly int $suspicious,
    ) {
    }
}
