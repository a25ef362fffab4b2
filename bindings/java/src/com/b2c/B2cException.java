package com.b2c;

/**
 * Base of every error the library reports. {@link #status()} is the {@code b2c_status},
 * {@link #httpStatus()} the HTTP status involved (0 when none), {@link #getMessage()} the
 * library's message.
 *
 * <p>Subclasses by status (the "Exception family" of each status in {@code include/b2c.h}):
 * <ul>
 * <li>{@link InvalidArgumentException}: INVALID_ARGUMENT, NULL_POINTER, BUFFER_TOO_SMALL,
 *     INVALID_UTF8, CONFIG, INSECURE_URL</li>
 * <li>{@link IoException}: IO</li>
 * <li>{@link KeyFormatException}: KEY_INVALID, KEY_UNSUPPORTED_CURVE, KEY_UNSUPPORTED_TYPE,
 *     KEY_ENCRYPTED</li>
 * <li>{@link NetworkException}: NETWORK, TLS; its subclass {@link TimeoutException}: TIMEOUT</li>
 * <li>{@link ThrottledException}: THROTTLED</li>
 * <li>{@link ProtocolException}: HTTP_STATUS, PROTOCOL, RESPONSE_TOO_LARGE</li>
 * <li>{@link AuthException}: AUTH_REJECTED, UNAUTHORIZED</li>
 * <li>{@link FeeException}: FEE_ERROR; {@link StillPendingException}: STILL_PENDING;
 *     {@link CancelledException}: CANCELLED</li>
 * <li>{@link SignatureException}: SIGNATURE_INVALID, RESPONSE_SIGNATURE_INVALID</li>
 * <li>{@link RemoteException}: REMOTE</li>
 * <li>{@link InternalException}: PANIC</li>
 * <li>{@code B2cException} itself: a status this binding does not know (from a newer
 *     library); {@link #status()} is then {@link Status#UNKNOWN}</li>
 * </ul>
 */
public class B2cException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final int httpStatus;

    public B2cException(int statusCode, String message, int httpStatus) {
        super(message);
        this.statusCode = statusCode;
        this.httpStatus = httpStatus;
    }

    /** The status; {@link Status#UNKNOWN} for a code this binding does not know. */
    public Status status() {
        return Status.of(statusCode);
    }

    /** The raw {@code b2c_status} value. */
    public int statusCode() {
        return statusCode;
    }

    /** The HTTP status involved, or 0. */
    public int httpStatus() {
        return httpStatus;
    }

    /**
     * The exception the binding throws for {@code statusCode} (exactly the class listed in the
     * class comment; {@code B2cException} itself for an unknown code). FeeException and
     * StillPendingException get a null {@code feeStatus}. Meant for tests and adapters.
     *
     * @throws IllegalArgumentException for 0 (B2C_OK is not an error)
     */
    public static B2cException of(int statusCode, String message, int httpStatus) {
        if (statusCode == Status.OK.code()) {
            throw new IllegalArgumentException("status 0 (OK) is not an error");
        }
        return create(statusCode, message, httpStatus, null);
    }

    static B2cException create(int code, String message, int http, FeeStatus feeStatus) {
        switch (Status.of(code)) {
            case INVALID_ARGUMENT:
            case NULL_POINTER:
            case BUFFER_TOO_SMALL:
            case INVALID_UTF8:
            case CONFIG:
            case INSECURE_URL:
                return new InvalidArgumentException(code, message, http);
            case IO:
                return new IoException(code, message, http);
            case KEY_INVALID:
            case KEY_UNSUPPORTED_CURVE:
            case KEY_UNSUPPORTED_TYPE:
            case KEY_ENCRYPTED:
                return new KeyFormatException(code, message, http);
            case NETWORK:
            case TLS:
                return new NetworkException(code, message, http);
            case TIMEOUT:
                return new TimeoutException(code, message, http);
            case THROTTLED:
                return new ThrottledException(code, message, http);
            case HTTP_STATUS:
            case PROTOCOL:
            case RESPONSE_TOO_LARGE:
                return new ProtocolException(code, message, http);
            case AUTH_REJECTED:
            case UNAUTHORIZED:
                return new AuthException(code, message, http);
            case FEE_ERROR:
                return new FeeException(code, message, http, feeStatus);
            case STILL_PENDING:
                return new StillPendingException(code, message, http, feeStatus);
            case CANCELLED:
                return new CancelledException(code, message, http);
            case SIGNATURE_INVALID:
            case RESPONSE_SIGNATURE_INVALID:
                return new SignatureException(code, message, http);
            case REMOTE:
                return new RemoteException(code, message, http);
            case PANIC:
                return new InternalException(code, message, http);
            default: // OK (never an error) and UNKNOWN: a code from a newer library
                return new B2cException(code, message, http);
        }
    }

    @Override
    public String toString() {
        String s = getClass().getSimpleName() + "[" + status() + "(" + statusCode + ")"
            + (httpStatus != 0 ? ", HTTP " + httpStatus : "") + "]: " + getMessage();
        return s;
    }
}
