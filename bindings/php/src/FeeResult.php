<?php

declare(strict_types=1);

namespace B2c;

/** Outcome of Client::feeProcess(): SUCCESS, or PENDING in one-shot mode. */
final class FeeResult
{
    public function __construct(
        public readonly FeeStatus $status,
        public readonly string $accountLogin,
        public readonly string $requestId,
    ) {
    }

    public function succeeded(): bool
    {
        return $this->status === FeeStatus::SUCCESS;
    }

    public function pending(): bool
    {
        return $this->status === FeeStatus::PENDING;
    }
}
