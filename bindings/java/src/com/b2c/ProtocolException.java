package com.b2c;

/** An unexpected HTTP status (HTTP_STATUS, see httpStatus()), a response that could not be understood (PROTOCOL) or one over the size cap (RESPONSE_TOO_LARGE). */
public class ProtocolException extends B2cException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
