package com.b2c;

/** The vendor rejected the credentials (AUTH_REJECTED), or still unauthorized after re-authentication (UNAUTHORIZED). */
public class AuthException extends B2cException {
    private static final long serialVersionUID = 1L;

    public AuthException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
