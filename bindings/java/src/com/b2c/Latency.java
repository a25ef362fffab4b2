package com.b2c;

/**
 * Latency of one endpoint in {@link Stats#latency()}: the number of exchanges and their
 * percentiles in microseconds (unsigned 64-bit values, like every count in {@link Stats}).
 */
public final class Latency {
    /** An endpoint with no exchange yet. */
    public static final Latency NONE = new Latency(0, 0, 0, 0, 0);

    private final long count;
    private final long p50Us;
    private final long p90Us;
    private final long p99Us;
    private final long maxUs;

    public Latency(long count, long p50Us, long p90Us, long p99Us, long maxUs) {
        this.count = count;
        this.p50Us = p50Us;
        this.p90Us = p90Us;
        this.p99Us = p99Us;
        this.maxUs = maxUs;
    }

    /** Exchanges measured. */
    public long count() {
        return count;
    }

    /** Median, microseconds. */
    public long p50Us() {
        return p50Us;
    }

    public long p90Us() {
        return p90Us;
    }

    public long p99Us() {
        return p99Us;
    }

    /** Slowest, microseconds. */
    public long maxUs() {
        return maxUs;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Latency)) {
            return false;
        }
        Latency l = (Latency) o;
        return count == l.count && p50Us == l.p50Us && p90Us == l.p90Us && p99Us == l.p99Us && maxUs == l.maxUs;
    }

    @Override
    public int hashCode() {
        long h = count;
        h = h * 31 + p50Us;
        h = h * 31 + p90Us;
        h = h * 31 + p99Us;
        h = h * 31 + maxUs;
        return Long.hashCode(h);
    }

    @Override
    public String toString() {
        return "Latency[count=" + Long.toUnsignedString(count) + ", p50Us=" + Long.toUnsignedString(p50Us)
            + ", p90Us=" + Long.toUnsignedString(p90Us) + ", p99Us=" + Long.toUnsignedString(p99Us)
            + ", maxUs=" + Long.toUnsignedString(maxUs) + "]";
    }
}
