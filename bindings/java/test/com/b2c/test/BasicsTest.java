package com.b2c.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.B2c;
import com.b2c.Status;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Version and status text (env B2C_EXPECTED_VERSION: the version scripts/version.sh prints). */
@ExtendWith(LogScanExtension.class)
class BasicsTest {

    @Test
    void libraryVersion() {
        String expected = System.getenv("B2C_EXPECTED_VERSION");
        if (expected != null && !expected.isEmpty()) {
            assertEquals(expected, B2c.version(), "library version");
            assertEquals(expected, B2c.bindingVersion(), "binding version (jar manifest)");
        } else {
            assertTrue(B2c.version().matches("\\d+\\.\\d+\\.\\d+.*"), "version shape: " + B2c.version());
        }
    }

    @Test
    void statusString() {
        assertEquals("ok", B2c.statusString(0), "statusString(0)");
        assertEquals("unknown status", B2c.statusString(-1), "statusString(-1)");
        assertEquals("unknown status", B2c.statusString(1000), "statusString(1000)");
    }

    @Test
    void everyStatusHasTextAndRoundTrips() {
        for (Status s : Status.values()) {
            if (s == Status.UNKNOWN) {
                continue;
            }
            String d = B2c.statusString(s.code());
            assertNotNull(d, "describe " + s);
            assertFalse(d.isEmpty(), "describe " + s);
            assertNotEquals("unknown status", d, "describe " + s);
            assertSame(s, Status.of(s.code()), "Status.of " + s);
        }
    }

    @Test
    void unknownStatusValue() {
        assertSame(Status.UNKNOWN, Status.of(7), "Status.of(7)");
    }
}
