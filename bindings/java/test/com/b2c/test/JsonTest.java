package com.b2c.test;

import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.Json;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The configuration-map JSON encoder and the parser (statistics). */
@ExtendWith(LogScanExtension.class)
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
    void parsesEveryValueType() {
        Object v = Json.parse(" {\"s\": \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\/\", \"i\": -42, \"big\": 18446744073709551615,"
            + " \"d\": 1.5e2, \"t\": true, \"f\": false, \"n\": null, \"a\": [1, [], {}], \"o\": {\"k\": 0}} ");
        Map<String, Object> want = new LinkedHashMap<>();
        want.put("s", "a\"b\\c\n\u00e9\ud83d\ude00/");
        want.put("i", -42L);
        want.put("big", new BigInteger("18446744073709551615"));
        want.put("d", new BigDecimal("1.5e2"));
        want.put("t", true);
        want.put("f", false);
        want.put("n", null);
        want.put("a", List.of(1L, List.of(), Map.of()));
        want.put("o", Map.of("k", 0L));
        assertEquals(want, v, "Json.parse");
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"), "largest Long");
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"), "beyond Long");
        assertEquals("x", Json.parse("\"x\""), "a bare string");
    }

    @Test
    void encodeParseRoundTrip() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\n\r\t\b\f\u0001/é✓😀");
        m.put("l", 1L << 40);
        m.put("t", true);
        m.put("n", null);
        assertEquals(m, Json.parse(Json.encode(m)), "parse(encode(m))");
    }

    @Test
    void parseRejectsMalformed() {
        String deep = "[".repeat(200) + "]".repeat(200);
        for (String bad : new String[] {"", " ", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "{a:1}", "01", "1.", "-", "1e",
                "\"x", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\u0001\"", "tru", "nul", "1 2", "{} x", "'a'", "+1",
                ".5", "NaN", deep}) {
            IllegalArgumentException e = expect(IllegalArgumentException.class, null, "malformed: " + bad, () -> Json.parse(bad));
            assertTrue(e.getMessage().startsWith("malformed JSON at offset "), e.getMessage());
        }
        expect(NullPointerException.class, null, "null", () -> Json.parse(null));
    }

    @Test
    void encodesNestedMaps() {
        Map<String, Object> ts = new LinkedHashMap<>();
        ts.put("type", "file");
        ts.put("path", "/var/lib/b2c \"x\"");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("token_store", ts);
        m.put("e", Map.of());
        assertEquals("{\"a\":1,\"token_store\":{\"type\":\"file\",\"path\":\"/var/lib/b2c \\\"x\\\"\"},\"e\":{}}", Json.encode(m));
        expect(IllegalArgumentException.class, null, "a non-String key", () -> Json.encode(Map.of("x", Map.of(1, 2))));
        expect(IllegalArgumentException.class, null, "a list inside", () -> Json.encode(Map.of("x", Map.of("y", List.of()))));
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        expect(IllegalArgumentException.class, null, "a cycle", () -> Json.encode(cyclic));
    }

    @Test
    void rejectsNaNAndLists() {
        expect(IllegalArgumentException.class, null, "NaN", () -> Json.encode(Map.of("x", Double.NaN)));
        expect(IllegalArgumentException.class, null, "list value", () -> Json.encode(Map.of("x", List.of(1))));
    }
}
