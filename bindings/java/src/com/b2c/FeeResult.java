package com.b2c;

/** The outcome of {@link Client#feeProcess}: PENDING (one-shot mode only) or SUCCESS. */
public final class FeeResult {
    private final String accountLogin;
    private final String requestId;
    private final FeeStatus status;

    FeeResult(String accountLogin, String requestId, FeeStatus status) {
        this.accountLogin = accountLogin;
        this.requestId = requestId;
        this.status = status;
    }

    public String accountLogin() {
        return accountLogin;
    }

    public String requestId() {
        return requestId;
    }

    public FeeStatus status() {
        return status;
    }

    public boolean isSuccess() {
        return status == FeeStatus.SUCCESS;
    }

    @Override
    public String toString() {
        return "FeeResult{" + accountLogin + ", " + requestId + ", " + status + "}";
    }
}
