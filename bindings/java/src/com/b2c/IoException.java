package com.b2c;

/** A file could not be read (IO), e.g. a missing or unreadable private key file. */
public class IoException extends B2cException {
    private static final long serialVersionUID = 1L;

    public IoException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
