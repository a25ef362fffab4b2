<?php

declare(strict_types=1);

namespace B2c;

/** INVALID_ARGUMENT, NULL_POINTER, INVALID_UTF8, CONFIG, BUFFER_TOO_SMALL, INSECURE_URL. */
class InvalidArgumentException extends B2cException
{
}
