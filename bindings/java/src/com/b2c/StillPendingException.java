package com.b2c;

/** The fee request was still PENDING when the wait ran out. feeStatus() is PENDING. */
public class StillPendingException extends B2cException {
    private static final long serialVersionUID = 1L;

    private final FeeStatus feeStatus;

    public StillPendingException(int statusCode, String message, int httpStatus, FeeStatus feeStatus) {
        super(statusCode, message, httpStatus);
        this.feeStatus = feeStatus;
    }

    /** The last fee status received (null if none was). */
    public FeeStatus feeStatus() {
        return feeStatus;
    }
}
