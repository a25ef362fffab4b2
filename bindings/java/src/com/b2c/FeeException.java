package com.b2c;

/** B2COPY answered FEE_PROCESS_STATUS_ERROR; the message carries the server's details. feeStatus() is ERROR. */
public class FeeException extends B2cException {
    private static final long serialVersionUID = 1L;

    private final FeeStatus feeStatus;

    public FeeException(int statusCode, String message, int httpStatus, FeeStatus feeStatus) {
        super(statusCode, message, httpStatus);
        this.feeStatus = feeStatus;
    }

    /** The last fee status received (null if none was). */
    public FeeStatus feeStatus() {
        return feeStatus;
    }
}
