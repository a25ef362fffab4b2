package com.b2c.test;

import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.b2c.Json;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The configuration-map JSON encoder. */
class JsonTest {

    @Test
    void encodesEveryValueType() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\n\r\t\b\f\u0001/é✓😀");
        m.put("i", 42);
        m.put("l", 1L << 40);
        m.put("big", new BigInteger("18446744073709551615"));
        m.put("d", 1.5);
        m.put("dint", 20.0);
        m.put("t", true);
        m.put("f", false);
        m.put("n", null);
        String want = "{\"s\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001/é✓😀\",\"i\":42,\"l\":1099511627776,"
            + "\"big\":18446744073709551615,\"d\":1.5,\"dint\":20,\"t\":true,\"f\":false,\"n\":null}";
        assertEquals(want, Json.encode(m), "Json.encode");
    }

    @Test
    void loneSurrogateEscaped() {
        assertEquals("{\"x\":\"\\ud800\"}", Json.encode(Map.of("x", "\ud800")), "lone surrogate escaped");
    }

    @Test
    void rejectsNaNAndLists() {
        expect(IllegalArgumentException.class, null, "NaN", () -> Json.encode(Map.of("x", Double.NaN)));
        expect(IllegalArgumentException.class, null, "list value", () -> Json.encode(Map.of("x", List.of(1))));
    }
}
