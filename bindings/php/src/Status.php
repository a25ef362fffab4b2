<?php

declare(strict_types=1);

namespace B2c;

/** Mirror of `b2c_status` (include/b2c.h). Values never change. */
enum Status: int
{
    case OK = 0;
    case INVALID_ARGUMENT = 1;
    case NULL_POINTER = 2;
    case BUFFER_TOO_SMALL = 3;
    case INVALID_UTF8 = 4;
    case CONFIG = 5;
    case IO = 6;
    case KEY_INVALID = 10;
    case KEY_UNSUPPORTED_CURVE = 11;
    case KEY_UNSUPPORTED_TYPE = 12;
    case KEY_ENCRYPTED = 13;
    case INSECURE_URL = 20;
    case NETWORK = 21;
    case TIMEOUT = 22;
    case TLS = 23;
    case HTTP_STATUS = 24;
    case THROTTLED = 25;
    case PROTOCOL = 26;
    case RESPONSE_TOO_LARGE = 27;
    case AUTH_REJECTED = 30;
    case UNAUTHORIZED = 31;
    case FEE_ERROR = 40;
    case STILL_PENDING = 41;
    case CANCELLED = 42;
    case SIGNATURE_INVALID = 50;
    case RESPONSE_SIGNATURE_INVALID = 51;
    case REMOTE = 52;
    case PANIC = 99;

    /** The library's own description (b2c_status_str). */
    public function describe(): string
    {
        return B2c::statusString($this->value);
    }
}
