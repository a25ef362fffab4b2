package com.b2c;

import java.util.Objects;

/**
 * A B2BINPAY access token ({@link B2binpay#accessToken()}) and whether an unexpired refresh
 * token was rejected on the way: treat {@code suspicious} as a security event.
 * {@link #toString()} does not show the token.
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

    /** True if an unexpired refresh token was rejected while getting this token. */
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
