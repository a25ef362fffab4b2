<?php

declare(strict_types=1);

namespace B2c;

/** NETWORK, TLS (and TIMEOUT, see TimeoutException): the transport failed. */
class NetworkException extends B2cException
{
}
