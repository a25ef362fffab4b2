package com.b2c;

/** Connection refused/reset/dropped, DNS failure (NETWORK), a timeout or the deadline (TIMEOUT), TLS failure (TLS). */
public class NetworkException extends B2cException {
    private static final long serialVersionUID = 1L;

    public NetworkException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
