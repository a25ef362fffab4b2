//! The JSON normal form of ECMAScript's `JSON.stringify(JSON.parse(text))`, computed exactly,
//! and refused wherever it would change a value.
//!
//! The CRM Open API's PHP and JS samples sign `JSON.stringify(JSON.parse(body))` rather than
//! the bytes sent. If the server verifies the same way, a body that is not already in that
//! form fails. Sending the normal form makes the signature hold under either reading. What
//! the normal form does, as a JavaScript engine would:
//! - whitespace between tokens goes;
//! - strings are re-escaped the way `JSON.stringify` escapes (`\"`, `\\`, `\b \f \n \r \t`,
//!   other controls and lone surrogates as lowercase `\u00xx`; everything else as UTF-8,
//!   `/` unescaped);
//! - numbers are written as `Number.prototype.toString` writes the double they parse to
//!   (`1.0` → `1`, `1E2` → `100`, `1e21` → `1e+21`);
//! - object members keep their order, except that array-index keys (`"0"`, `"17"`) come
//!   first in ascending order, as in every JavaScript object.
//!
//! It never changes a value: a number whose double is not exactly the written decimal (a big
//! integer such as `12345678901234567890`, a long decimal, `1e400`) and a duplicate key (which
//! `JSON.parse` would silently collapse) are errors naming raw mode, not rewrites. So is text
//! that is not JSON, or nested deeper than [`MAX_DEPTH`].

use crate::error::{Error, Result};

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 128;

fn refuse(why: &str) -> Error {
    Error::invalid_arg(format!(
        "the JSON body cannot be sent in its normal form: {why}; send it in raw mode to keep \
         the bytes untouched (then the signature covers exactly those bytes)"
    ))
}

/// `JSON.stringify(JSON.parse(text))`, or an error when that would change a value.
pub fn normalize(text: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(text).map_err(|_| refuse("the body is not UTF-8"))?;
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        out: Vec::with_capacity(text.len()),
    };
    p.ws();
    p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(refuse(&format!("unexpected text at byte {}", p.i)));
    }
    Ok(p.out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    out: Vec<u8>,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, b: u8) -> Result<()> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(refuse(&format!(
                "not valid JSON (expected '{}' at byte {})",
                b as char, self.i
            )))
        }
    }

    fn value(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(refuse(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let units = self.string()?;
                write_string(&units, &mut self.out);
                Ok(())
            }
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(refuse(&format!("not valid JSON (byte {})", self.i))),
        }
    }

    fn literal(&mut self, word: &str) -> Result<()> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            self.out.extend_from_slice(word.as_bytes());
            Ok(())
        } else {
            Err(refuse(&format!("not valid JSON (byte {})", self.i)))
        }
    }

    fn array(&mut self, depth: usize) -> Result<()> {
        self.expect(b'[')?;
        self.out.push(b'[');
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.out.push(b']');
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.out.push(b',');
                }
                Some(b']') => {
                    self.i += 1;
                    self.out.push(b']');
                    return Ok(());
                }
                _ => return Err(refuse(&format!("not valid JSON (byte {})", self.i))),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<()> {
        self.expect(b'{')?;
        // Members are rendered separately, then ordered as a JavaScript object orders them.
        let mut members: Vec<(Vec<u16>, Vec<u8>)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.out.extend_from_slice(b"{}");
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(refuse(&format!(
                    "not valid JSON (a key expected at byte {})",
                    self.i
                )));
            }
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                let shown: String = String::from_utf16_lossy(&key).chars().take(64).collect();
                return Err(refuse(&format!(
                    "the key {shown:?} appears twice in one object (JSON.parse would keep only \
                     the last value)"
                )));
            }
            self.ws();
            self.expect(b':')?;
            self.ws();
            let saved = std::mem::take(&mut self.out);
            let r = self.value(depth + 1);
            let rendered = std::mem::replace(&mut self.out, saved);
            r?;
            members.push((key, rendered));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(refuse(&format!("not valid JSON (byte {})", self.i))),
            }
        }
        // Array-index keys first, ascending; the rest in insertion order (stable sort).
        members.sort_by_key(|(k, _)| array_index(k).map_or((1, 0), |n| (0, n)));
        self.out.push(b'{');
        for (n, (k, v)) in members.iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            write_string(k, &mut self.out);
            self.out.push(b':');
            self.out.extend_from_slice(v);
        }
        self.out.push(b'}');
        Ok(())
    }

    /// A string token as UTF-16 code units (lone surrogates kept, as JavaScript keeps them).
    fn string(&mut self) -> Result<Vec<u16>> {
        self.expect(b'"')?;
        let mut units = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(refuse("not valid JSON (an unterminated string)"));
            };
            match b {
                b'"' => {
                    self.i += 1;
                    return Ok(units);
                }
                b'\\' => {
                    self.i += 1;
                    let e = self
                        .peek()
                        .ok_or_else(|| refuse("not valid JSON (a bad escape)"))?;
                    self.i += 1;
                    let u = match e {
                        b'"' => 0x22,
                        b'\\' => 0x5c,
                        b'/' => 0x2f,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => 0x0a,
                        b'r' => 0x0d,
                        b't' => 0x09,
                        b'u' => {
                            let hex = self
                                .s
                                .get(self.i..self.i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u16::from_str_radix(h, 16).ok())
                                .filter(|_| {
                                    self.s[self.i..self.i + 4].iter().all(u8::is_ascii_hexdigit)
                                })
                                .ok_or_else(|| refuse("not valid JSON (a bad \\u escape)"))?;
                            self.i += 4;
                            hex
                        }
                        _ => return Err(refuse("not valid JSON (a bad escape)")),
                    };
                    units.push(u);
                }
                0x00..=0x1f => {
                    return Err(refuse(
                        "not valid JSON (a control character inside a string)",
                    ))
                }
                _ => {
                    // One UTF-8 character (the input is valid UTF-8).
                    let rest = std::str::from_utf8(&self.s[self.i..])
                        .map_err(|_| refuse("the body is not UTF-8"))?;
                    let c = rest
                        .chars()
                        .next()
                        .ok_or_else(|| refuse("not valid JSON"))?;
                    self.i += c.len_utf8();
                    let mut buf = [0u16; 2];
                    units.extend_from_slice(c.encode_utf16(&mut buf));
                }
            }
        }
    }

    fn number(&mut self) -> Result<()> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => {
                return Err(refuse(&format!(
                    "not valid JSON (a bad number at byte {start})"
                )))
            }
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            let d = self.i;
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
            if self.i == d {
                return Err(refuse(&format!(
                    "not valid JSON (a bad number at byte {start})"
                )));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            let d = self.i;
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
            if self.i == d {
                return Err(refuse(&format!(
                    "not valid JSON (a bad number at byte {start})"
                )));
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        let x: f64 = text
            .parse()
            .map_err(|_| refuse(&format!("not valid JSON (a bad number at byte {start})")))?;
        let shown = || text.chars().take(40).collect::<String>();
        if !x.is_finite() {
            return Err(refuse(&format!(
                "the number {} is too large for a double (JSON.stringify would write null)",
                shown()
            )));
        }
        let js = js_number(x);
        if decimal(text) != decimal(&js) {
            return Err(refuse(&format!(
                "the number {} is not exactly representable as a double (it would become {js})",
                shown()
            )));
        }
        self.out.extend_from_slice(js.as_bytes());
        Ok(())
    }
}

/// The value of an array-index key (a canonical decimal below 2^32 - 1), if it is one.
fn array_index(key: &[u16]) -> Option<u64> {
    if key.is_empty() || key.len() > 10 || !key.iter().all(|&u| (0x30..=0x39).contains(&u)) {
        return None;
    }
    if key.len() > 1 && key[0] == 0x30 {
        return None;
    }
    let n = key.iter().fold(0u64, |n, &u| n * 10 + u64::from(u - 0x30));
    (n < u64::from(u32::MAX)).then_some(n)
}

/// A string as `JSON.stringify` writes it.
fn write_string(units: &[u16], out: &mut Vec<u8>) {
    out.push(b'"');
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        match u {
            0x22 => out.extend_from_slice(b"\\\""),
            0x5c => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x00..=0x1f => out.extend_from_slice(format!("\\u{u:04x}").as_bytes()),
            0xd800..=0xdbff
                if units
                    .get(i + 1)
                    .is_some_and(|n| (0xdc00..=0xdfff).contains(n)) =>
            {
                let c = char::decode_utf16([u, units[i + 1]])
                    .next()
                    .and_then(|r| r.ok())
                    .unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 1;
            }
            0xd800..=0xdfff => out.extend_from_slice(format!("\\u{u:04x}").as_bytes()),
            _ => {
                let c = char::from_u32(u32::from(u)).unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        i += 1;
    }
    out.push(b'"');
}

/// `Number.prototype.toString(x)` for a finite double (ECMA-262 Number::toString, radix 10).
pub fn js_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let neg = x < 0.0;
    // Rust's `{:e}` writes the shortest digits that round-trip, as ECMAScript requires.
    let e = format!("{:e}", x.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{sign}{}", (n - 1).abs())
        } else {
            format!("{}.{}e{sign}{}", &digits[..1], &digits[1..], (n - 1).abs())
        }
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// The exact decimal value of a JSON number as (negative, significant digits, exponent of the
/// last digit); every zero is the same value.
fn decimal(text: &str) -> (bool, String, i64) {
    let (neg, t) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(p) => (&t[..p], t[p + 1..].parse::<i64>().unwrap_or(0)),
        None => (t, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut digits = format!("{int}{frac}");
    let mut exp = exp - frac.len() as i64;
    while digits.ends_with('0') {
        digits.pop();
        exp += 1;
    }
    let digits = digits.trim_start_matches('0').to_string();
    if digits.is_empty() {
        return (false, String::new(), 0);
    }
    (neg, digits, exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        String::from_utf8(normalize(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn what_json_stringify_of_json_parse_gives() {
        // Each expected value is what node prints for JSON.stringify(JSON.parse(input)).
        for (input, want) in [
            (
                "{ \"a\" : 1 , \"b\" : [ true, false, null ] }",
                r#"{"a":1,"b":[true,false,null]}"#,
            ),
            ("1.0", "1"),
            ("1E2", "100"),
            ("-0", "0"),
            ("0.000001", "0.000001"),
            ("1e-7", "1e-7"),
            ("1e21", "1e+21"),
            ("123e18", "123000000000000000000"),
            ("1.5e300", "1.5e+300"),
            ("0.1", "0.1"),
            ("9007199254740992", "9007199254740992"),
            ("\"a\\/b\"", r#""a/b""#),
            ("\"\\u0041\\u00e9\\u20ac\"", "\"A\u{e9}\u{20ac}\""),
            ("\"\\ud83d\\ude00\"", "\"\u{1f600}\""),
            ("\"\\ud800x\"", r#""\ud800x""#),
            ("\"\\u001F\\u007f\"", "\"\\u001f\u{7f}\""),
            ("\"\\b\\f\\n\\r\\t\"", r#""\b\f\n\r\t""#),
            (
                r#"{"b":1,"2":2,"a":3,"1":4,"01":5}"#,
                r#"{"1":4,"2":2,"b":1,"a":3,"01":5}"#,
            ),
            ("[]", "[]"),
            ("{}", "{}"),
            (" \"x\" ", r#""x""#),
        ] {
            assert_eq!(n(input), want, "{input}");
        }
    }

    #[test]
    fn values_are_never_changed() {
        for bad in [
            "12345678901234567890",
            "9007199254740993",
            "0.1000000000000000055511151231257827",
            "1e400",
            "-1e400",
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"k":1,"k":1}}"#,
        ] {
            let e = normalize(bad.as_bytes()).unwrap_err();
            assert!(e.message().contains("raw mode"), "{bad}: {e}");
        }
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "+1",
            "\"\u{1}\"",
            "'a'",
            "NaN",
            "\"\\x\"",
            "\"\\u12\"",
            "tru",
            "{} {}",
            "\u{feff}{}",
        ] {
            assert!(normalize(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(normalize(b"\xff").is_err());
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(normalize(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(normalize(ok.as_bytes()).is_ok());
    }

    #[test]
    fn numbers_as_javascript_writes_them() {
        for (x, s) in [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.2345e-7, "1.2345e-7"),
            (0.000123, "0.000123"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(js_number(x), s);
        }
    }
}
