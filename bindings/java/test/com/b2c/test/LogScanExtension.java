package com.b2c.test;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The suite-wide log setup ({@link LogCapture#suite()}: every record to
 * $B2C_SCAN_DIR/java-log-events.log when that is set), run before each test class. Every test
 * class carries {@code @ExtendWith(LogScanExtension.class)} (LoggingTest checks that).
 */
public final class LogScanExtension implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext ctx) {
        LogCapture.suite();
    }
}
