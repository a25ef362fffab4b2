package com.b2c;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The final HTTP answer to a generic call ({@link Client#call}, {@link B2binpay#call},
 * {@link Crm#call}): its status and body, whatever the status is (a 404 is a response, not an
 * exception; errors are for what is not an answer). Immutable: {@link #body()} returns a copy.
 */
public final class Response {
    private final int status;
    private final byte[] body;

    public Response(int status, byte[] body) {
        this.status = status;
        this.body = Objects.requireNonNull(body, "body").clone();
    }

    /** The HTTP status, e.g. 200 or 404. */
    public int status() {
        return status;
    }

    /** The body's bytes (a copy; empty when the answer had none). */
    public byte[] body() {
        return body.clone();
    }

    /** The body decoded as UTF-8 (malformed sequences become U+FFFD). */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * The body parsed as JSON ({@link Json#parse}: objects are {@code Map<String, Object>},
     * arrays {@code List<Object>}, integers {@code Long} or {@code BigInteger}, other numbers
     * {@code BigDecimal}).
     *
     * @throws IllegalArgumentException when the body is not JSON
     */
    public Object json() {
        return Json.parse(bodyText());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Response)) {
            return false;
        }
        Response r = (Response) o;
        return status == r.status && Arrays.equals(body, r.body);
    }

    @Override
    public int hashCode() {
        return 31 * status + Arrays.hashCode(body);
    }

    /** The status and the body's length (not the body: it may hold account data). */
    @Override
    public String toString() {
        return "Response[status=" + status + ", body=" + body.length + " bytes]";
    }
}
