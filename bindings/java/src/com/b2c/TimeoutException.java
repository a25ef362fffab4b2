package com.b2c;

/** A connect/read timeout or the call deadline ran out (TIMEOUT). A {@link NetworkException}. */
public class TimeoutException extends NetworkException {
    private static final long serialVersionUID = 1L;

    public TimeoutException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
