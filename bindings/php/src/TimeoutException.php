<?php

declare(strict_types=1);

namespace B2c;

/** TIMEOUT: a timeout or the overall call deadline ran out. */
class TimeoutException extends NetworkException
{
}
