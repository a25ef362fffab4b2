package com.b2c.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.b2c.B2cException;
import com.b2c.NetworkException;
import com.b2c.Status;
import com.b2c.TimeoutException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Spec B: the status → exception mapping and the Status enum against include/b2c.h (env
 * B2C_HEADER, default {@code <root>/include/b2c.h}), where every enumerator but B2C_OK is
 * preceded by a comment with "Exception family: &lt;Family&gt;.".
 */
@ExtendWith(LogScanExtension.class)
class ExceptionFamilyTest {

    static final class Entry {
        final String name;
        final int value;
        final String family;

        Entry(String name, int value, String family) {
            this.name = name;
            this.value = value;
            this.family = family;
        }
    }

    static List<Entry> header;

    @BeforeAll
    static void parseHeader() throws Exception {
        String path = Support.env("B2C_HEADER", Support.root() + "/include/b2c.h");
        String text = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("typedef enum \\{(.*?)\\}\\s*b2c_status\\s*;", Pattern.DOTALL).matcher(text);
        assertTrue(block.find(), "no b2c_status enum in " + path);
        // A comment (optional) followed by an enumerator.
        Matcher m = Pattern.compile("(?:/\\*(.*?)\\*/\\s*)?(B2C_[A-Z0-9_]+)\\s*=\\s*(-?\\d+)\\s*,?", Pattern.DOTALL)
            .matcher(block.group(1));
        Pattern familyRe = Pattern.compile("Exception family:\\s*([A-Za-z]+)\\.");
        header = new ArrayList<>();
        while (m.find()) {
            String family = null;
            if (m.group(1) != null) {
                Matcher f = familyRe.matcher(m.group(1));
                if (f.find()) {
                    family = f.group(1);
                }
            }
            header.add(new Entry(m.group(2).substring("B2C_".length()), Integer.parseInt(m.group(3)), family));
        }
        assertTrue(header.size() > 20, "parsed only " + header.size() + " statuses from " + path);
    }

    @Test
    void statusEnumHasExactlyTheHeaderNamesAndValues() {
        Map<String, Integer> want = new TreeMap<>();
        for (Entry e : header) {
            want.put(e.name, e.value);
        }
        Map<String, Integer> got = new TreeMap<>();
        for (Status s : Status.values()) {
            if (s != Status.UNKNOWN) { // the binding's marker for codes it does not know
                got.put(s.name(), s.code());
            }
        }
        assertEquals(want, got, "Status enum vs b2c_status in the header");
        assertFalse(want.containsValue(Status.UNKNOWN.code()), "UNKNOWN's value is a real status");
        assertFalse(want.containsKey("UNKNOWN"), "the header has a status named UNKNOWN");
    }

    @Test
    void everyStatusMapsToExactlyItsFamilyClass() {
        List<String> problems = new ArrayList<>();
        for (Entry e : header) {
            if (e.name.equals("OK")) {
                assertEquals(0, e.value, "B2C_OK");
                continue;
            }
            if (e.family == null) {
                problems.add(e.name + ": no \"Exception family\" in the header");
                continue;
            }
            Class<?> want;
            try {
                want = Class.forName("com.b2c." + e.family + "Exception");
            } catch (ClassNotFoundException x) {
                problems.add(e.name + ": no class com.b2c." + e.family + "Exception");
                continue;
            }
            B2cException got = B2cException.of(e.value, "message", 0);
            if (got.getClass() != want) {
                problems.add(e.name + " (" + e.value + "): " + got.getClass().getName() + ", want " + want.getName());
            }
            if (!B2cException.class.isAssignableFrom(want)) {
                problems.add(want.getName() + " does not extend B2cException");
            }
            if (got.status() != Status.of(e.value) || got.statusCode() != e.value) {
                problems.add(e.name + ": status() " + got.status() + " statusCode() " + got.statusCode());
            }
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " mapping problem(s):\n  " + String.join("\n  ", problems));
        }
    }

    @Test
    void timeoutIsANetworkException() {
        assertSame(NetworkException.class, TimeoutException.class.getSuperclass(), "TimeoutException extends NetworkException");
        assertSame(B2cException.class, NetworkException.class.getSuperclass(), "NetworkException extends B2cException");
    }

    @Test
    void unknownStatusMapsToTheBaseClass() {
        int max = 0;
        for (Entry e : header) {
            max = Math.max(max, e.value);
        }
        for (int code : new int[] {7, 1000, max + 1, -5}) {
            B2cException e = B2cException.of(code, "from a newer library", 0);
            assertSame(B2cException.class, e.getClass(), "code " + code);
            assertSame(Status.UNKNOWN, e.status(), "code " + code);
            assertEquals(code, e.statusCode(), "code " + code);
        }
    }

    @Test
    void okIsNotAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> B2cException.of(0, "x", 0));
        assertNotNull(e.getMessage());
    }
}
