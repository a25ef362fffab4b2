package com.b2c;

/** An HMAC signature did not match (SIGNATURE_INVALID) or a vendor response signature did not verify (RESPONSE_SIGNATURE_INVALID). */
public class SignatureException extends B2cException {
    private static final long serialVersionUID = 1L;

    public SignatureException(int statusCode, String message, int httpStatus) {
        super(statusCode, message, httpStatus);
    }
}
