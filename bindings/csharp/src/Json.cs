using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace B2c
{
    /// <summary>A minimal JSON encoder for flat configuration dictionaries: string, char, bool,
    /// null and numbers (integers, decimal, finite float/double). Other types throw.</summary>
    public static class Json
    {
        public static string Encode(IDictionary<string, object> map)
        {
            if (map == null) throw new ArgumentNullException("map");
            var sb = new StringBuilder(256);
            sb.Append('{');
            bool first = true;
            foreach (var kv in map)
            {
                if (!first) sb.Append(',');
                first = false;
                String(sb, kv.Key);
                sb.Append(':');
                Value(sb, kv.Key, kv.Value);
            }
            return sb.Append('}').ToString();
        }

        static void Value(StringBuilder sb, string key, object v)
        {
            if (v == null) sb.Append("null");
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
    }
}
