//! `JSON.stringify(JSON.parse(body))`, as the CRM Open API's JavaScript and TypeScript
//! samples compute the bytes they sign (docs/PROTOCOLS.md §2), reimplemented from the
//! ECMAScript specification:
//!
//! - `JSON.parse`: RFC 8259 grammar (whitespace = space, tab, LF, CR), strings as UTF-16
//!   code units (a lone `\ud800` escape is allowed), numbers as IEEE doubles (`1e400` is
//!   `Infinity`), a duplicate key keeps its first position and takes the last value;
//! - objects list integer-index keys (`"0"` .. `"4294967294"`, canonical form) first in
//!   ascending order, then the other keys in insertion order;
//! - `JSON.stringify`: no whitespace; strings escape `"` `\` and controls (`\b \t \n \f \r`,
//!   else `\u00xx`) and lone surrogates (`\udxxx`), everything else raw (so `/`, U+2028 and
//!   non-ASCII are raw); numbers as `Number.prototype.toString` (shortest round trip, an
//!   exponent from 1e21 and below 1e-6), non-finite ones as `null`, `-0` as `0`.
//!
//! Checked against Node.js output in the tests (fixed vectors).
//!
//! The parsed tree keeps object keys in insertion order and, for an integer literal, the
//! value it has as a 64-bit integer: what PHP's `json_decode` keeps (see `phpnorm`).

pub(crate) enum Js {
    Null,
    Bool(bool),
    /// The literal as a double, and as an i64 when it is an integer literal (no fraction or
    /// exponent) that fits.
    Num(f64, Option<i64>),
    /// UTF-16 code units (a lone surrogate escape is kept).
    Str(Vec<u16>),
    Arr(Vec<Js>),
    /// Keys in insertion order; a duplicate key keeps its first position, the last value.
    Obj(Vec<(Vec<u16>, Js)>),
}

/// Deepest nesting accepted (deeper bodies have no normal form here).
const MAX_DEPTH: usize = 256;

/// The bytes `JSON.stringify(JSON.parse(text))` gives for `body` (UTF-8), or `None` if
/// `JSON.parse` would throw (or the body is not UTF-8 or too deep).
pub fn js_normalize(body: &[u8]) -> Option<Vec<u8>> {
    let v = parse(body)?;
    let mut out = Vec::with_capacity(body.len());
    write(&v, &mut out);
    Some(out)
}

/// Parse `body` as RFC 8259 JSON (UTF-8), or `None` if it is not (or is too deep).
pub(crate) fn parse(body: &[u8]) -> Option<Js> {
    parse_noting(body).map(|(v, _)| v)
}

/// What the text held that the tree may no longer show (a value a duplicate key replaced).
#[derive(Clone, Copy, Default)]
pub(crate) struct Seen {
    /// A string (value or key) with an unpaired surrogate escape.
    pub lone_surrogate: bool,
    /// An object key starting with U+0000.
    pub nul_led_key: bool,
}

/// [`parse`], also telling what it saw anywhere in the text.
pub(crate) fn parse_noting(body: &[u8]) -> Option<(Js, Seen)> {
    let text = std::str::from_utf8(body).ok()?;
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        seen: Seen::default(),
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    (p.i == p.s.len()).then_some((v, p.seen))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    seen: Seen,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Js> {
        if depth > MAX_DEPTH {
            return None;
        }
        match *self.s.get(self.i)? {
            b'n' => self.eat(b"null").then_some(Js::Null),
            b't' => self.eat(b"true").then_some(Js::Bool(true)),
            b'f' => self.eat(b"false").then_some(Js::Bool(false)),
            b'"' => self.string().map(Js::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"]") {
                    return Some(Js::Arr(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b"]") {
                        return Some(Js::Arr(items));
                    }
                    if !self.eat(b",") {
                        return None;
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut props: Vec<(Vec<u16>, Js)> = Vec::new();
                self.ws();
                if self.eat(b"}") {
                    return Some(Js::Obj(props));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return None;
                    }
                    let k = self.string()?;
                    if k.first() == Some(&0) {
                        self.seen.nul_led_key = true;
                    }
                    self.ws();
                    if !self.eat(b":") {
                        return None;
                    }
                    self.ws();
                    let v = self.value(depth + 1)?;
                    match props.iter_mut().find(|(pk, _)| *pk == k) {
                        Some(slot) => slot.1 = v,
                        None => props.push((k, v)),
                    }
                    self.ws();
                    if self.eat(b"}") {
                        return Some(Js::Obj(props));
                    }
                    if !self.eat(b",") {
                        return None;
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Js> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while matches!(p.s.get(p.i), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i - s
        };
        self.eat(b"-");
        if self.eat(b"0") {
            if matches!(self.s.get(self.i), Some(b'0'..=b'9')) {
                return None; // leading zero
            }
        } else if digits(self) == 0 {
            return None;
        }
        if self.eat(b".") && digits(self) == 0 {
            return None;
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if !self.eat(b"+") {
                self.eat(b"-");
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        let int = if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            None
        } else {
            text.parse::<i64>().ok()
        };
        // Correctly rounded like ECMAScript's StringToNumber; overflow gives infinity.
        text.parse::<f64>().ok().map(|x| Js::Num(x, int))
    }

    /// A string literal as UTF-16 code units (lone surrogate escapes kept).
    fn string(&mut self) -> Option<Vec<u16>> {
        self.i += 1; // opening quote
        let mut out: Vec<u16> = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            match b {
                b'"' => {
                    self.i += 1;
                    if char::decode_utf16(out.iter().copied()).any(|r| r.is_err()) {
                        self.seen.lone_surrogate = true;
                    }
                    return Some(out);
                }
                b'\\' => {
                    let e = *self.s.get(self.i + 1)?;
                    self.i += 2;
                    let unit = match e {
                        b'"' => 0x22,
                        b'\\' => 0x5c,
                        b'/' => 0x2f,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => 0x0a,
                        b'r' => 0x0d,
                        b't' => 0x09,
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4)?;
                            let hex = std::str::from_utf8(hex).ok()?;
                            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.i += 4;
                            u16::from_str_radix(hex, 16).ok()?
                        }
                        _ => return None,
                    };
                    out.push(unit);
                }
                0x00..=0x1f => return None,
                _ => {
                    // One UTF-8 character (the input is valid UTF-8).
                    let rest = std::str::from_utf8(&self.s[self.i..]).ok()?;
                    let c = rest.chars().next()?;
                    let mut buf = [0u16; 2];
                    out.extend_from_slice(c.encode_utf16(&mut buf));
                    self.i += c.len_utf8();
                }
            }
        }
    }
}

/// The array index a key denotes, if it is one (canonical decimal, at most 2^32 - 2).
fn array_index(k: &[u16]) -> Option<u32> {
    if k.is_empty() || k.len() > 10 || (k.len() > 1 && k[0] == u16::from(b'0')) {
        return None;
    }
    let mut n: u64 = 0;
    for &c in k {
        if !(u16::from(b'0')..=u16::from(b'9')).contains(&c) {
            return None;
        }
        n = n * 10 + u64::from(c - u16::from(b'0'));
    }
    (n <= 4_294_967_294).then_some(n as u32)
}

/// Integer-index keys first (ascending), then the others in insertion order.
fn order_keys(props: &[(Vec<u16>, Js)]) -> Vec<&(Vec<u16>, Js)> {
    let (mut idx, other): (Vec<_>, Vec<_>) =
        props.iter().partition(|(k, _)| array_index(k).is_some());
    idx.sort_by_key(|(k, _)| array_index(k));
    idx.extend(other);
    idx
}

fn write(v: &Js, out: &mut Vec<u8>) {
    match v {
        Js::Null => out.extend_from_slice(b"null"),
        Js::Bool(true) => out.extend_from_slice(b"true"),
        Js::Bool(false) => out.extend_from_slice(b"false"),
        Js::Num(n, _) => out.extend_from_slice(number_to_string(*n).as_bytes()),
        Js::Str(s) => write_string(s, out),
        Js::Arr(items) => {
            out.push(b'[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(it, out);
            }
            out.push(b']');
        }
        Js::Obj(props) => {
            out.push(b'{');
            for (i, (k, it)) in order_keys(props).into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write(it, out);
            }
            out.push(b'}');
        }
    }
}

/// ECMAScript QuoteJSONString (ES2019 well-formed output).
fn write_string(s: &[u16], out: &mut Vec<u8>) {
    out.push(b'"');
    for r in char::decode_utf16(s.iter().copied()) {
        match r {
            Ok(c) => match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                '\r' => out.extend_from_slice(b"\\r"),
                c if (c as u32) < 0x20 => {
                    out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
                }
                c => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            },
            Err(e) => {
                out.extend_from_slice(format!("\\u{:04x}", e.unpaired_surrogate()).as_bytes())
            }
        }
    }
    out.push(b'"');
}

/// ECMAScript Number::toString(10).
fn number_to_string(x: f64) -> String {
    if !x.is_finite() {
        return "null".into(); // JSON.stringify writes non-finite numbers as null
    }
    if x == 0.0 {
        return "0".into(); // also -0
    }
    // Rust's `{:e}` gives the shortest digits that round-trip: "-1.2345e-7".
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let sign = if x < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let es = if e < 0 {
            format!("-{}", -e)
        } else {
            format!("+{e}")
        };
        if k == 1 {
            format!("{digits}e{es}")
        } else {
            format!("{}.{}e{es}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        js_normalize(s.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    /// Inputs and `JSON.stringify(JSON.parse(input))` as printed by Node.js 18+.
    #[test]
    fn matches_node_fixed_vectors() {
        let cases: [(&str, &str); 6] = [
            (
                r#"{"name": "J\u00fcrgen", "amount":1.50}"#,
                "{\"name\":\"J\u{fc}rgen\",\"amount\":1.5}",
            ),
            (
                r#"{"b":1,"2":2,"1":3,"01":4,"a":1e2,"c":100.0,"d":"\u2028/\ud800\n\u0001\"","b":5}"#,
                "{\"1\":3,\"2\":2,\"b\":5,\"01\":4,\"a\":100,\"c\":100,\"d\":\"\u{2028}/\\ud800\\n\\u0001\\\"\"}",
            ),
            (
                r#"{"big":12345678901234567890,"small":1e-7,"e21":1e21,"e20":1e20,"neg":-0,"f":0.000001,"x":[1,2.5e-3,true,null,{}],"4294967295":1,"4294967294":2}"#,
                r#"{"4294967294":2,"big":12345678901234567000,"small":1e-7,"e21":1e+21,"e20":100000000000000000000,"neg":0,"f":0.000001,"x":[1,0.0025,true,null,{}],"4294967295":1}"#,
            ),
            (r#"[ "a" , {"k" : "\/"} ]"#, r#"["a",{"k":"/"}]"#),
            (
                r#"{"over":1e400,"t":"\ud83d\ude00","ctl":"\u001f\u007f\b\f\r\t"}"#,
                "{\"over\":null,\"t\":\"\u{1f600}\",\"ctl\":\"\\u001f\u{7f}\\b\\f\\r\\t\"}",
            ),
            (
                " \t\r\n{\"n\":-1.5e-10,\"m\":123.456e3,\"z\":-0.0}\n",
                r#"{"n":-1.5e-10,"m":123456,"z":0}"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input).as_deref(), Some(want), "input {input}");
        }
    }

    #[test]
    fn number_to_string_cases() {
        for (x, want) in [
            (1.0, "1"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123e-20, "1.23e-18"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5, "-2.5"),
            (9007199254740993.0, "9007199254740992"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(number_to_string(x), want, "{x}");
        }
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "+1",
            "NaN",
            "'a'",
            "{a:1}",
            "\"\t\"",
            "\"\\x\"",
            "\"\\u12\"",
            "[1] x",
            "tru",
        ] {
            assert_eq!(norm(bad), None, "{bad:?}");
        }
        assert_eq!(js_normalize(b"\"\xff\""), None);
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(norm(&deep), None);
    }
}
