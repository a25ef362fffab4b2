package com.b2c;

/** A private key that could not be used: KEY_INVALID, KEY_UNSUPPORTED_CURVE, KEY_UNSUPPORTED_TYPE, KEY_ENCRYPTED. */
public class KeyFormatException extends B2cException {
    private static final long serialVersionUID = 1L;

    public KeyFormatException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
