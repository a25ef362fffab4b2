package com.b2c;

/** Connection refused/reset/dropped, DNS failure (NETWORK), TLS failure (TLS); and, as the
 * subclass {@link TimeoutException}, a timeout or the deadline (TIMEOUT). */
public class NetworkException extends B2cException {
    private static final long serialVersionUID = 1L;

    public NetworkException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
