<?php

declare(strict_types=1);

namespace B2c;

/** FEE_ERROR: B2COPY answered status ERROR; the message carries its details. */
class FeeException extends B2cException
{
    /** The last fee status received (set by Client::feeProcess). */
    public ?FeeStatus $feeStatus = null;
}
