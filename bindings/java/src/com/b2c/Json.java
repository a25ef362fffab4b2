package com.b2c;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A minimal JSON encoder for configuration maps: String, Character, Boolean, null, numbers
 * (Byte/Short/Integer/Long/BigInteger/BigDecimal, finite Float/Double) and nested maps with
 * String keys (for objects such as {@code "token_store": {"type": "file", "path": ...}}).
 * Anything else (lists included) is an IllegalArgumentException.
 *
 * <p>And a small parser ({@link #parse}) for what the library returns (e.g. the statistics).
 */
public final class Json {
    private Json() {}

    /** Nesting deeper than this is refused (no stack overflow on hostile input). */
    static final int MAX_DEPTH = 64;

    /**
     * Parses one JSON value (RFC 8259), with nothing but whitespace around it. Objects are
     * {@code Map<String, Object>} (insertion order; a repeated key keeps the last value),
     * arrays {@code List<Object>}, strings {@code String}, {@code true}/{@code false}
     * {@code Boolean}, {@code null} null; an integer is a {@code Long} when it fits, else a
     * {@code BigInteger}; a number with a fraction or exponent is a {@code BigDecimal}.
     *
     * @throws IllegalArgumentException on malformed JSON (the message gives the offset)
     */
    public static Object parse(String json) {
        Objects.requireNonNull(json, "json");
        Parser p = new Parser(json);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != json.length()) {
            throw p.fail("trailing characters");
        }
        return v;
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) {
            this.s = s;
        }

        IllegalArgumentException fail(String what) {
            return new IllegalArgumentException("malformed JSON at offset " + i + ": " + what);
        }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    break;
                }
                i++;
            }
        }

        void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw fail("expected '" + c + "'");
            }
            i++;
        }

        void literal(String word) {
            if (!s.startsWith(word, i)) {
                throw fail("unexpected character");
            }
            i += word.length();
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw fail("nested deeper than " + MAX_DEPTH);
            }
            if (i >= s.length()) {
                throw fail("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': return object(depth);
                case '[': return array(depth);
                case '"': return string();
                case 't': literal("true"); return Boolean.TRUE;
                case 'f': literal("false"); return Boolean.FALSE;
                case 'n': literal("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw fail("unexpected character");
            }
        }

        Map<String, Object> object(int depth) {
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') {
                    throw fail("expected a string key");
                }
                String k = string();
                ws();
                expect(':');
                ws();
                m.put(k, value(depth + 1));
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                expect('}');
                return m;
            }
        }

        List<Object> array(int depth) {
            expect('[');
            List<Object> a = new ArrayList<>();
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return a;
            }
            while (true) {
                ws();
                a.add(value(depth + 1));
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                expect(']');
                return a;
            }
        }

        String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw fail("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw fail("control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    throw fail("unterminated escape");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        if (i + 4 > s.length()) {
                            throw fail("short unicode escape");
                        }
                        int cp = 0;
                        for (int k = 0; k < 4; k++) {
                            char h = s.charAt(i + k);
                            int d = h < 0x80 ? Character.digit(h, 16) : -1;
                            if (d < 0) {
                                throw fail("bad unicode escape");
                            }
                            cp = cp * 16 + d;
                        }
                        i += 4;
                        sb.append((char) cp);
                        break;
                    default:
                        throw fail("bad escape");
                }
            }
        }

        Object number() {
            int start = i;
            if (s.charAt(i) == '-') {
                i++;
            }
            if (i < s.length() && s.charAt(i) == '0') {
                i++;
            } else if (i < s.length() && s.charAt(i) >= '1' && s.charAt(i) <= '9') {
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                    i++;
                }
            } else {
                throw fail("bad number");
            }
            boolean integer = true;
            if (i < s.length() && s.charAt(i) == '.') {
                integer = false;
                i++;
                digits();
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                integer = false;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                digits();
            }
            String t = s.substring(start, i);
            if (!integer) {
                return new BigDecimal(t);
            }
            BigInteger b = new BigInteger(t);
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }

        void digits() {
            int from = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == from) {
                throw fail("bad number");
            }
        }
    }

    public static String encode(Map<String, ?> map) {
        StringBuilder sb = new StringBuilder(256);
        object(sb, "", map, 0);
        return sb.toString();
    }

    private static void object(StringBuilder sb, String path, Map<?, ?> map, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("configuration nested deeper than " + MAX_DEPTH + " at " + path);
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("null key in configuration map" + (path.isEmpty() ? "" : " " + path));
            }
            if (!(e.getKey() instanceof String)) {
                throw new IllegalArgumentException("configuration map " + path + ": key " + e.getKey() + " is not a String");
            }
            String key = (String) e.getKey();
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(sb, key);
            sb.append(':');
            value(sb, path.isEmpty() ? key : path + "." + key, e.getValue(), depth);
        }
        sb.append('}');
    }

    private static void value(StringBuilder sb, String key, Object v, int depth) {
        if (v instanceof Map) {
            object(sb, key, (Map<?, ?>) v, depth + 1);
        } else if (v == null) {
            sb.append("null");
        } else if (v instanceof CharSequence || v instanceof Character) {
            string(sb, v.toString());
        } else if (v instanceof Boolean) {
            sb.append(((Boolean) v) ? "true" : "false");
        } else if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long
                || v instanceof BigInteger) {
            sb.append(v.toString());
        } else if (v instanceof BigDecimal) {
            sb.append(((BigDecimal) v).toPlainString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("config key " + key + ": " + d + " is not valid JSON");
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                sb.append((long) d);
            } else {
                sb.append(Double.toString(d));
            }
        } else {
            throw new IllegalArgumentException(
                "config key " + key + ": unsupported value type " + v.getClass().getName());
        }
    }

    /**
     * The canonical text of a value {@link #parse} returned: object keys sorted (by UTF-16 code
     * units), no whitespace, decimals without trailing zeros. Two JSON texts that differ only
     * in key order or spacing have the same canonical text.
     */
    static String canonical(Object v) {
        StringBuilder sb = new StringBuilder(256);
        canonical(sb, v, 0);
        return sb.toString();
    }

    private static void canonical(StringBuilder sb, Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("JSON nested deeper than " + MAX_DEPTH);
        }
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Map) {
            java.util.TreeMap<String, Object> sorted = new java.util.TreeMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sorted.put(String.valueOf(e.getKey()), e.getValue());
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, e.getKey());
                sb.append(':');
                canonical(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof List) {
            sb.append('[');
            boolean first = true;
            for (Object x : (List<?>) v) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                canonical(sb, x, depth + 1);
            }
            sb.append(']');
        } else if (v instanceof String) {
            string(sb, (String) v);
        } else if (v instanceof BigDecimal) {
            BigDecimal d = ((BigDecimal) v).stripTrailingZeros();
            sb.append(d.scale() <= 0 ? d.toBigIntegerExact().toString() : d.toPlainString());
        } else {
            sb.append(v.toString()); // Boolean, Long, BigInteger
        }
    }

    /** Appends {@code s} as a JSON string literal. */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    boolean loneSurrogate = Character.isSurrogate(c)
                        && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                             && Character.isLowSurrogate(s.charAt(i + 1)))
                        && !(Character.isLowSurrogate(c) && i > 0
                             && Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || c == 0x7f || loneSurrogate) {
                        // A lone surrogate can't be encoded as UTF-8; escaping it lets the
                        // library's JSON parser reject it instead of JNA turning it into '?'.
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
