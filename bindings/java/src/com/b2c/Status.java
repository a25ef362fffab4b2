package com.b2c;

/**
 * {@code b2c_status}: the result codes of the C ABI (the same names and values as
 * {@code include/b2c.h}, plus the {@link #UNKNOWN} marker). Values are stable. Text for any
 * code: {@link B2c#statusString(int)}.
 */
public enum Status {
    OK(0),
    INVALID_ARGUMENT(1),
    NULL_POINTER(2),
    BUFFER_TOO_SMALL(3),
    INVALID_UTF8(4),
    CONFIG(5),
    IO(6),
    KEY_INVALID(10),
    KEY_UNSUPPORTED_CURVE(11),
    KEY_UNSUPPORTED_TYPE(12),
    KEY_ENCRYPTED(13),
    INSECURE_URL(20),
    NETWORK(21),
    TIMEOUT(22),
    TLS(23),
    HTTP_STATUS(24),
    THROTTLED(25),
    PROTOCOL(26),
    RESPONSE_TOO_LARGE(27),
    AUTH_REJECTED(30),
    UNAUTHORIZED(31),
    FEE_ERROR(40),
    STILL_PENDING(41),
    CANCELLED(42),
    SIGNATURE_INVALID(50),
    RESPONSE_SIGNATURE_INVALID(51),
    REMOTE(52),
    PANIC(99),
    /**
     * Not a {@code b2c_status}: what {@link #of} returns for a value this binding does not know
     * (from a newer library); see {@link B2cException#statusCode()} for the raw value.
     */
    UNKNOWN(-1);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code && s != UNKNOWN) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
