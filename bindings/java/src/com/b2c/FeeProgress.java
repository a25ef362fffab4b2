package com.b2c;

import java.time.Duration;

/** One processext answer seen while {@link Client#feeProcess} runs. */
public final class FeeProgress {
    private final FeeStatus status;
    private final int rawStatus;
    private final long attempt;
    private final Duration elapsed;

    FeeProgress(int rawStatus, long attempt, Duration elapsed) {
        this.status = FeeStatus.of(rawStatus);
        this.rawStatus = rawStatus;
        this.attempt = attempt;
        this.elapsed = elapsed;
    }

    /** The fee status, or null for a value this binding does not know (see {@link #rawStatus()}). */
    public FeeStatus status() {
        return status;
    }

    public int rawStatus() {
        return rawStatus;
    }

    /** The poll number, from 1. */
    public long attempt() {
        return attempt;
    }

    /** Time since the call started. */
    public Duration elapsed() {
        return elapsed;
    }

    @Override
    public String toString() {
        return "FeeProgress{" + status + ", attempt " + attempt + ", " + elapsed.toMillis() + " ms}";
    }
}
