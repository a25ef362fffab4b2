<?php

declare(strict_types=1);

namespace B2c;

/** The Client or Key was closed (code NULL_POINTER, what C would see). */
class ClosedException extends InvalidArgumentException
{
}
