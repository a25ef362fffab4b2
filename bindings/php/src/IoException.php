<?php

declare(strict_types=1);

namespace B2c;

/** IO: a local file could not be read or written. */
class IoException extends B2cException
{
}
