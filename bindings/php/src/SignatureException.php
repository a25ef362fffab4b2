<?php

declare(strict_types=1);

namespace B2c;

/** SIGNATURE_INVALID, RESPONSE_SIGNATURE_INVALID. */
class SignatureException extends B2cException
{
}
