<?php

declare(strict_types=1);

namespace B2c;

/** PROTOCOL, HTTP_STATUS, RESPONSE_TOO_LARGE: an answer we could not use. */
class ProtocolException extends B2cException
{
}
