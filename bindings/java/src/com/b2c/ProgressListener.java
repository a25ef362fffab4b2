package com.b2c;

/**
 * Observes {@link Client#feeProcess}. Called on the thread that called feeProcess, after each
 * processext answer.
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @return true to go on, false to cancel (feeProcess then throws {@link CancelledException}).
     *     An exception thrown here also cancels the call and is rethrown by feeProcess.
     */
    boolean onProgress(FeeProgress progress);
}
