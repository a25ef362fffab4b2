package com.b2c;

/** The progress listener asked to stop (returned false). */
public class CancelledException extends B2cException {
    private static final long serialVersionUID = 1L;

    public CancelledException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
