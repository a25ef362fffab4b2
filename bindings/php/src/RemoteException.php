<?php

declare(strict_types=1);

namespace B2c;

/** REMOTE: the remote system reported a failure in its own words. */
class RemoteException extends B2cException
{
}
