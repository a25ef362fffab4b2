<?php

declare(strict_types=1);

namespace B2c;

/** PANIC: a bug in libb2c caught at the boundary. Please report it. */
class InternalException extends B2cException
{
}
