<?php

declare(strict_types=1);

namespace B2c;

/** STILL_PENDING: the fee request was still PENDING when the wait ran out. */
class StillPendingException extends B2cException
{
    /** The last fee status received (set by Client::feeProcess). */
    public ?FeeStatus $feeStatus = null;
}
