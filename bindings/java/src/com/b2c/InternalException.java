package com.b2c;

/** A bug: a panic caught at the C boundary (PANIC). (A status this binding does not know
 * raises {@link B2cException} itself.) */
public class InternalException extends B2cException {
    private static final long serialVersionUID = 1L;

    public InternalException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
