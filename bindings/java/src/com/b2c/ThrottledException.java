package com.b2c;

/** Throttled (HTTP 429) with no time left to retry. */
public class ThrottledException extends B2cException {
    private static final long serialVersionUID = 1L;

    public ThrottledException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
