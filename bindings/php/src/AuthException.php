<?php

declare(strict_types=1);

namespace B2c;

/** AUTH_REJECTED, UNAUTHORIZED: the vendor refused the credentials. */
class AuthException extends B2cException
{
}
