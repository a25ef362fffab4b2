package com.b2c;

/**
 * The counters of one {@link B2binpay} handle since creation ({@link B2binpay#counters()}).
 * The values are unsigned 64-bit ({@link Long#toUnsignedString(long)} for huge ones).
 */
public final class B2binpayCounters {
    private final long logins;
    private final long refreshes;
    private final long suspicious;

    public B2binpayCounters(long logins, long refreshes, long suspicious) {
        this.logins = logins;
        this.refreshes = refreshes;
        this.suspicious = suspicious;
    }

    /** Logins (POST /token/). */
    public long logins() {
        return logins;
    }

    /** Refreshes (POST /token/refresh/). */
    public long refreshes() {
        return refreshes;
    }

    /** Suspicious refresh-token rejections (security events). */
    public long suspicious() {
        return suspicious;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof B2binpayCounters)) {
            return false;
        }
        B2binpayCounters c = (B2binpayCounters) o;
        return logins == c.logins && refreshes == c.refreshes && suspicious == c.suspicious;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(logins) * 961 + Long.hashCode(refreshes) * 31 + Long.hashCode(suspicious);
    }

    @Override
    public String toString() {
        return "B2binpayCounters[logins=" + Long.toUnsignedString(logins) + ", refreshes="
            + Long.toUnsignedString(refreshes) + ", suspicious=" + Long.toUnsignedString(suspicious) + "]";
    }
}
