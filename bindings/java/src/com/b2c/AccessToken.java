package com.b2c;

import java.util.Objects;

/**
 * A B2BINPAY access token ({@link B2binpay#accessToken()}) and whether this call's own renewal
 * met a rejected unexpired refresh token: treat {@code suspicious} as a security event. It is
 * an event, reported once: later tokens (from the new pair) say false, and a rejection met by
 * {@link B2binpay#refresh()} is reported by no access token; {@link B2binpayCounters#suspicious()}
 * is the history. {@link #toString()} does not show the token.
 */
public final class AccessToken {
    private final String token;
    private final boolean suspicious;

    public AccessToken(String token, boolean suspicious) {
        this.token = Objects.requireNonNull(token, "token");
        this.suspicious = suspicious;
    }

    /** The bearer token. */
    public String token() {
        return token;
    }

    /**
     * True only in the answer to the call whose own renewal met a rejected unexpired refresh
     * token (all tokens were dropped and the handle logged in again).
     */
    public boolean suspicious() {
        return suspicious;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AccessToken)) {
            return false;
        }
        AccessToken t = (AccessToken) o;
        return suspicious == t.suspicious && token.equals(t.token);
    }

    @Override
    public int hashCode() {
        return Objects.hash(token, suspicious);
    }

    @Override
    public String toString() {
        return "AccessToken[token=(" + token.length() + " chars), suspicious=" + suspicious + "]";
    }
}
