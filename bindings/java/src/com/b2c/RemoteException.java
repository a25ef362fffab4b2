package com.b2c;

/** The remote system reported a failure in its own words (REMOTE). */
public class RemoteException extends B2cException {
    private static final long serialVersionUID = 1L;

    public RemoteException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
