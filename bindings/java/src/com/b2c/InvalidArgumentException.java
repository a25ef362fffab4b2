package com.b2c;

/** A bad argument or configuration: INVALID_ARGUMENT, NULL_POINTER, BUFFER_TOO_SMALL, INVALID_UTF8, CONFIG, INSECURE_URL. */
public class InvalidArgumentException extends B2cException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
