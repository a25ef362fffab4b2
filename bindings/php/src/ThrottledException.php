<?php

declare(strict_types=1);

namespace B2c;

/** THROTTLED: HTTP 429 with no time left to retry. */
class ThrottledException extends B2cException
{
}
