<?php

declare(strict_types=1);

namespace B2c;

/** libb2c or include/b2c.h could not be found or loaded. */
final class LibraryNotFoundException extends \RuntimeException
{
}
