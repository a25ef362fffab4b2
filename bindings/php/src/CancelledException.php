<?php

declare(strict_types=1);

namespace B2c;

/** CANCELLED: the progress callback asked to stop. */
class CancelledException extends B2cException
{
}
