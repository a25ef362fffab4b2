<?php

declare(strict_types=1);

namespace B2c;

/** KEY_INVALID, KEY_UNSUPPORTED_CURVE, KEY_UNSUPPORTED_TYPE, KEY_ENCRYPTED. */
class KeyFormatException extends B2cException
{
}
