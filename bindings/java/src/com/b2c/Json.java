package com.b2c;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * A minimal JSON encoder for flat configuration maps: String, Character, Boolean, null and
 * numbers (Byte/Short/Integer/Long/BigInteger/BigDecimal, finite Float/Double). Anything else
 * is an IllegalArgumentException.
 */
public final class Json {
    private Json() {}

    public static String encode(Map<String, ?> map) {
        StringBuilder sb = new StringBuilder(256);
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, ?> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("null key in configuration map");
            }
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(sb, e.getKey());
            sb.append(':');
            value(sb, e.getKey(), e.getValue());
        }
        return sb.append('}').toString();
    }

    private static void value(StringBuilder sb, String key, Object v) {
        if (v == null) {
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
