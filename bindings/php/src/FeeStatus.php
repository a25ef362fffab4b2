<?php

declare(strict_types=1);

namespace B2c;

/** Mirror of `b2c_fee_status`: the fee-processing status as B2COPY numbers it. */
enum FeeStatus: int
{
    case PENDING = 1;
    case SUCCESS = 2;
    case ERROR = 3;
}
