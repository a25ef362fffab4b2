package com.b2c;

/** A bug: a panic caught at the C boundary (PANIC), or a status this binding does not know. */
public class InternalException extends B2cException {
    private static final long serialVersionUID = 1L;

    public InternalException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
