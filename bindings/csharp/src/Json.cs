using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace B2c
{
    /// <summary>A minimal JSON encoder for configuration dictionaries: string, char, bool, null,
    /// numbers (integers, decimal, finite float/double) and nested dictionaries with string keys
    /// (for objects such as "token_store": {"type": "file", "path": ...}). Other types (lists
    /// included) throw. Also an
    /// internal parser for what the library answers (the statistics): mono's profile has no
    /// JSON library in its standard set.</summary>
    public static class Json
    {
        public static string Encode(IDictionary<string, object> map)
        {
            if (map == null) throw new ArgumentNullException("map");
            var sb = new StringBuilder(256);
            EncodeObject(sb, "", Entries(map), 0);
            return sb.ToString();
        }

        const int MaxEncodeDepth = 64;

        static IEnumerable<KeyValuePair<object, object>> Entries(IDictionary<string, object> map)
        {
            foreach (var kv in map) yield return new KeyValuePair<object, object>(kv.Key, kv.Value);
        }

        static IEnumerable<KeyValuePair<object, object>> Entries(System.Collections.IDictionary map)
        {
            foreach (System.Collections.DictionaryEntry kv in map) yield return new KeyValuePair<object, object>(kv.Key, kv.Value);
        }

        static void EncodeObject(StringBuilder sb, string path, IEnumerable<KeyValuePair<object, object>> entries, int depth)
        {
            if (depth > MaxEncodeDepth)
                throw new ArgumentException("configuration nested deeper than " + MaxEncodeDepth + " at " + path);
            sb.Append('{');
            bool first = true;
            foreach (var kv in entries)
            {
                var key = kv.Key as string;
                if (key == null)
                    throw new ArgumentException("configuration dictionary " + path + ": key " + kv.Key + " is not a string");
                if (!first) sb.Append(',');
                first = false;
                String(sb, key);
                sb.Append(':');
                Value(sb, path.Length == 0 ? key : path + "." + key, kv.Value, depth);
            }
            sb.Append('}');
        }

        static void Value(StringBuilder sb, string key, object v, int depth)
        {
            var generic = v as IDictionary<string, object>;
            var plain = v as System.Collections.IDictionary;
            if (generic != null) EncodeObject(sb, key, Entries(generic), depth + 1);
            else if (plain != null) EncodeObject(sb, key, Entries(plain), depth + 1);
            else if (v == null) sb.Append("null");
            else if (v is string || v is char) String(sb, v.ToString());
            else if (v is bool) sb.Append((bool)v ? "true" : "false");
            else if (v is sbyte || v is byte || v is short || v is ushort || v is int || v is uint
                     || v is long || v is ulong || v is decimal)
                sb.Append(((IFormattable)v).ToString(null, CultureInfo.InvariantCulture));
            else if (v is double || v is float)
            {
                double d = Convert.ToDouble(v, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d))
                    throw new ArgumentException("config key " + key + ": " + d + " is not valid JSON");
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
            }
            else throw new ArgumentException("config key " + key + ": unsupported value type " + v.GetType());
        }

        internal static void String(StringBuilder sb, string s)
        {
            sb.Append('"');
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        bool lone = char.IsSurrogate(c)
                            && !(char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                            && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(s[i - 1]));
                        // A lone surrogate has no UTF-8 form: escape it so the library's JSON
                        // parser rejects it instead of the encoder replacing it silently.
                        if (c < 0x20 || c == 0x7f || lone) sb.Append("\\u").Append(((int)c).ToString("x4"));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        /// <summary>The canonical text of a value <see cref="Parse"/> returned: object keys sorted
        /// (ordinal), no whitespace. Two texts that differ only in key order or spacing have the
        /// same canonical text.</summary>
        internal static string Canonical(object v)
        {
            var sb = new StringBuilder(256);
            Canonical(sb, v, 0);
            return sb.ToString();
        }

        static void Canonical(StringBuilder sb, object v, int depth)
        {
            if (depth > 256) throw new FormatException("nested too deeply");
            var o = v as Dictionary<string, object>;
            var a = v as List<object>;
            if (v == null) sb.Append("null");
            else if (o != null)
            {
                var keys = new List<string>(o.Keys);
                keys.Sort(StringComparer.Ordinal);
                sb.Append('{');
                for (int i = 0; i < keys.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    String(sb, keys[i]);
                    sb.Append(':');
                    Canonical(sb, o[keys[i]], depth + 1);
                }
                sb.Append('}');
            }
            else if (a != null)
            {
                sb.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Canonical(sb, a[i], depth + 1);
                }
                sb.Append(']');
            }
            else if (v is string) String(sb, (string)v);
            else if (v is bool) sb.Append((bool)v ? "true" : "false");
            else if (v is long) sb.Append(((long)v).ToString(CultureInfo.InvariantCulture));
            else if (v is double) sb.Append(((double)v).ToString("R", CultureInfo.InvariantCulture));
            else sb.Append(Convert.ToString(v, CultureInfo.InvariantCulture));
        }

        /// <summary>Parses one JSON text: objects become Dictionary&lt;string, object&gt; (a
        /// repeated key keeps its last value), arrays List&lt;object&gt;, strings string, integers
        /// long (double when they do not fit), other numbers double, true/false bool, null null.
        /// Throws FormatException (with the offset) on anything else, trailing text included.
        /// Nesting deeper than 256 levels is refused (no stack overflow on hostile input).</summary>
        internal static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var p = new Parser(text);
            p.Ws();
            object v = p.Value(0);
            p.Ws();
            if (p.Pos != text.Length) throw p.Fail("trailing text");
            return v;
        }

        sealed class Parser
        {
            const int MaxDepth = 256;
            readonly string s;
            internal int Pos;

            internal Parser(string text) { s = text; }

            internal FormatException Fail(string what)
            {
                return new FormatException("invalid JSON at offset " + Pos + ": " + what);
            }

            internal void Ws()
            {
                while (Pos < s.Length && (s[Pos] == ' ' || s[Pos] == '\t' || s[Pos] == '\n' || s[Pos] == '\r')) Pos++;
            }

            void Expect(char c)
            {
                if (Pos >= s.Length || s[Pos] != c) throw Fail("expected '" + c + "'");
                Pos++;
            }

            void Word(string w, int start)
            {
                if (string.CompareOrdinal(s, start, w, 0, w.Length) != 0) throw Fail("unexpected character");
                Pos = start + w.Length;
            }

            internal object Value(int depth)
            {
                if (depth > MaxDepth) throw Fail("nested too deeply");
                if (Pos >= s.Length) throw Fail("unexpected end");
                char c = s[Pos];
                switch (c)
                {
                    case '{': return Object(depth);
                    case '[': return Array(depth);
                    case '"': return String();
                    case 't': Word("true", Pos); return true;
                    case 'f': Word("false", Pos); return false;
                    case 'n': Word("null", Pos); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return Number();
                        throw Fail("unexpected character");
                }
            }

            Dictionary<string, object> Object(int depth)
            {
                var o = new Dictionary<string, object>(StringComparer.Ordinal);
                Expect('{');
                Ws();
                if (Pos < s.Length && s[Pos] == '}') { Pos++; return o; }
                while (true)
                {
                    Ws();
                    if (Pos >= s.Length || s[Pos] != '"') throw Fail("expected a string key");
                    string k = String();
                    Ws();
                    Expect(':');
                    Ws();
                    o[k] = Value(depth + 1);
                    Ws();
                    if (Pos < s.Length && s[Pos] == ',') { Pos++; continue; }
                    Expect('}');
                    return o;
                }
            }

            List<object> Array(int depth)
            {
                var a = new List<object>();
                Expect('[');
                Ws();
                if (Pos < s.Length && s[Pos] == ']') { Pos++; return a; }
                while (true)
                {
                    Ws();
                    a.Add(Value(depth + 1));
                    Ws();
                    if (Pos < s.Length && s[Pos] == ',') { Pos++; continue; }
                    Expect(']');
                    return a;
                }
            }

            string String()
            {
                Expect('"');
                var sb = new StringBuilder();
                while (true)
                {
                    if (Pos >= s.Length) throw Fail("unterminated string");
                    char c = s[Pos++];
                    if (c == '"') return sb.ToString();
                    if (c < 0x20) { Pos--; throw Fail("control character in a string"); }
                    if (c != '\\') { sb.Append(c); continue; }
                    if (Pos >= s.Length) throw Fail("unterminated escape");
                    char e = s[Pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (Pos + 4 > s.Length) throw Fail("short \\u escape");
                            int u;
                            if (!int.TryParse(s.Substring(Pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out u))
                                throw Fail("bad \\u escape");
                            Pos += 4;
                            sb.Append((char)u);
                            break;
                        default:
                            Pos--;
                            throw Fail("bad escape");
                    }
                }
            }

            object Number()
            {
                int start = Pos;
                bool integer = true;
                if (s[Pos] == '-') Pos++;
                if (Pos >= s.Length || s[Pos] < '0' || s[Pos] > '9') throw Fail("bad number");
                if (s[Pos] == '0') Pos++;
                else while (Pos < s.Length && s[Pos] >= '0' && s[Pos] <= '9') Pos++;
                if (Pos < s.Length && s[Pos] == '.')
                {
                    integer = false;
                    Pos++;
                    if (Pos >= s.Length || s[Pos] < '0' || s[Pos] > '9') throw Fail("bad number");
                    while (Pos < s.Length && s[Pos] >= '0' && s[Pos] <= '9') Pos++;
                }
                if (Pos < s.Length && (s[Pos] == 'e' || s[Pos] == 'E'))
                {
                    integer = false;
                    Pos++;
                    if (Pos < s.Length && (s[Pos] == '+' || s[Pos] == '-')) Pos++;
                    if (Pos >= s.Length || s[Pos] < '0' || s[Pos] > '9') throw Fail("bad number");
                    while (Pos < s.Length && s[Pos] >= '0' && s[Pos] <= '9') Pos++;
                }
                string t = s.Substring(start, Pos - start);
                long l;
                if (integer && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                double d;
                if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) throw Fail("number out of range");
                return d;
            }
        }
    }
}
