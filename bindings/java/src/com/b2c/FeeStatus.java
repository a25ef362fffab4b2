package com.b2c;

/** B2COPY's fee-processing status ({@code b2c_fee_status}). */
public enum FeeStatus {
    PENDING(1),
    SUCCESS(2),
    ERROR(3);

    private final int code;

    FeeStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The status for a code, or null for a value this binding does not know. */
    public static FeeStatus of(int code) {
        for (FeeStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
