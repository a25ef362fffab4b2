//! `json_encode(json_decode($body))` with PHP's default flags (PHP 7.1+, `serialize_precision
//! = -1`): the bytes the CRM Open API's PHP sample means to sign (docs/PROTOCOLS.md §2; as
//! printed it passes the PSR-7 body stream itself, which always encodes as `{}`).
//! Reimplemented from PHP's `ext/json` behaviour:
//!
//! - `json_decode`: RFC 8259; an object keeps its keys in insertion order (no reordering),
//!   a duplicate key keeps its first position and takes the last value; an integer literal
//!   that fits in 64 bits is an int, every other number a double; a lone surrogate escape,
//!   a property name starting with NUL, or a double that overflows to infinity makes the
//!   round trip fail (`json_encode` of INF is false), so there is no normal form;
//! - `json_encode`: no whitespace; strings escape `"` `\` and `/`, controls as `\b \f \n \r
//!   \t` else `\u00xx`, every non-ASCII character as `\uxxxx` (UTF-16, lowercase hex); ints
//!   in decimal; doubles with the shortest round-trip digits, positionally when the decimal
//!   exponent is from -4 to 16 (`100.0` is `100`, `-0.0` is `-0`), else as `d.ddde+X` with
//!   at least one fraction digit (`1.0e+21`, `1.0e-5`).
//!
//! Checked against PHP 8.2's output in the tests (fixed vectors).

use super::jsnorm::{parse_noting, Js};

/// The bytes `json_encode(json_decode($body))` gives, or `None` where PHP's round trip
/// fails (invalid JSON, a lone surrogate, an infinite number, a NUL-led property name).
pub fn php_normalize(body: &[u8]) -> Option<Vec<u8>> {
    let (v, seen) = parse_noting(body)?;
    if seen.lone_surrogate || seen.nul_led_key {
        return None; // json_decode fails on these wherever they are
    }
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    write(&v, &mut out)?;
    Some(out)
}

fn write(v: &Js, out: &mut Vec<u8>) -> Option<()> {
    match v {
        Js::Null => out.extend_from_slice(b"null"),
        Js::Bool(true) => out.extend_from_slice(b"true"),
        Js::Bool(false) => out.extend_from_slice(b"false"),
        Js::Num(_, Some(i)) => out.extend_from_slice(i.to_string().as_bytes()),
        Js::Num(x, None) => out.extend_from_slice(double_to_string(*x)?.as_bytes()),
        Js::Str(s) => write_string(s, out)?,
        Js::Arr(items) => {
            out.push(b'[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(it, out)?;
            }
            out.push(b']');
        }
        Js::Obj(props) => {
            out.push(b'{');
            for (i, (k, it)) in props.iter().enumerate() {
                if k.first() == Some(&0) {
                    return None; // "Cannot access property starting with \0"
                }
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out)?;
                out.push(b':');
                write(it, out)?;
            }
            out.push(b'}');
        }
    }
    Some(())
}

fn write_string(s: &[u16], out: &mut Vec<u8>) -> Option<()> {
    out.push(b'"');
    for r in char::decode_utf16(s.iter().copied()) {
        let c = r.ok()?; // json_decode refuses a lone surrogate
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' => out.extend_from_slice(b"\\/"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c as u8),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
                }
            }
        }
    }
    out.push(b'"');
    Some(())
}

/// PHP's `json_encode` of a double (`serialize_precision = -1`: zend_gcvt with the shortest
/// round-trip digits and precision 17), or `None` for a non-finite one.
fn double_to_string(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return Some(format!("{sign}0"));
    }
    // Rust's `{:e}` gives the shortest digits that round-trip: "1.2345e-7".
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e')?;
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let exp: i64 = exp.parse().ok()?;
    let decpt = exp + 1; // digits are 0.DIGITS x 10^decpt
    let k = digits.len() as i64;
    let body = if !(-3..=17).contains(&decpt) {
        let frac = if k == 1 { "0" } else { &digits[1..] };
        let es = if exp < 0 {
            format!("-{}", -exp)
        } else {
            format!("+{exp}")
        };
        format!("{}.{frac}e{es}", &digits[..1])
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if k <= decpt {
        format!("{digits}{}", "0".repeat((decpt - k) as usize))
    } else {
        format!(
            "{}.{}",
            &digits[..decpt as usize],
            &digits[decpt as usize..]
        )
    };
    Some(format!("{sign}{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        php_normalize(s.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    /// Inputs and `json_encode(json_decode($input))` as printed by PHP 8.2 (php-cli).
    #[test]
    fn matches_php_fixed_vectors() {
        let cases: [(&str, &str); 13] = [
            (
                "{\"url\":\"https://example.com/a/b\",\"name\":\"J\u{fc}rgen\"}",
                r#"{"url":"https:\/\/example.com\/a\/b","name":"J\u00fcrgen"}"#,
            ),
            (
                r#"{"amount":100.0,"b":1e2,"c":1.5,"d":0.1,"e":-0,"f":-0.0,"g":0.0}"#,
                r#"{"amount":100,"b":100,"c":1.5,"d":0.1,"e":0,"f":-0,"g":0}"#,
            ),
            (
                r#"{"x":1e15,"y":1e16,"z":1e21,"w":1e-5,"v":1e-7,"u":123456789012345678}"#,
                r#"{"x":1000000000000000,"y":10000000000000000,"z":1.0e+21,"w":1.0e-5,"v":1.0e-7,"u":123456789012345678}"#,
            ),
            (
                r#"{"big":12345678901234567890,"max":9223372036854775807,"over":9223372036854775808,"min":-9223372036854775808}"#,
                r#"{"big":1.2345678901234567e+19,"max":9223372036854775807,"over":9.223372036854776e+18,"min":-9223372036854775808}"#,
            ),
            (r#"{"b":1,"2":2,"1":3,"":4}"#, r#"{"b":1,"2":2,"1":3,"":4}"#),
            (r#"{"a":1,"b":2,"a":3}"#, r#"{"a":3,"b":2}"#),
            (
                r#"{"e":{},"l":[],"n":null,"t":true,"f":false,"nested":[{"k":[1,2,{}]}]}"#,
                r#"{"e":{},"l":[],"n":null,"t":true,"f":false,"nested":[{"k":[1,2,{}]}]}"#,
            ),
            (
                r#"{"s":"tab\tnl\ncr\rbs\\q\"\u0001\u001f\u007f"}"#,
                "{\"s\":\"tab\\tnl\\ncr\\rbs\\\\q\\\"\\u0001\\u001f\u{7f}\"}",
            ),
            (
                "{\"emoji\":\"\\ud83d\\ude00 \u{1f600}\",\"ls\":\"\\u2028\\u2029\",\"slash\":\"\\/\"}",
                r#"{"emoji":"\ud83d\ude00 \ud83d\ude00","ls":"\u2028\u2029","slash":"\/"}"#,
            ),
            (r#"  [ 1 , 2.50 , -3 , "x" ]  "#, r#"[1,2.5,-3,"x"]"#),
            (r#""just a string""#, r#""just a string""#),
            (
                r#"{"f":3.0e0,"g":2.5E+3,"h":1.0000000000000002,"i":0.30000000000000004,"j":1.7976931348623157e308,"k":5e-324}"#,
                r#"{"f":3,"g":2500,"h":1.0000000000000002,"i":0.30000000000000004,"j":1.7976931348623157e+308,"k":5.0e-324}"#,
            ),
            (
                r#"{"p":1e22,"q":123456789012345.6,"r":1234567890123456.7,"s":0.00001234,"t":0.0001}"#,
                r#"{"p":1.0e+22,"q":123456789012345.6,"r":1234567890123456.8,"s":1.234e-5,"t":0.0001}"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input).as_deref(), Some(want), "input {input}");
        }
        assert_eq!(norm("42").as_deref(), Some("42"));
        assert_eq!(
            norm("[1e-4, 1.5e-4, 99999999999999999, 1e17, 123456789012345678.0, -1e-5]").as_deref(),
            Some("[0.0001,0.00015,99999999999999999,1.0e+17,1.2345678901234568e+17,-1.0e-5]")
        );
    }

    /// Where PHP's round trip fails (json_decode errors, or json_encode of INF is false).
    #[test]
    fn no_normal_form_where_php_fails() {
        for bad in [
            r#""\ud800""#,
            r#"{"a":1e400}"#,
            r#"{"a":1,}"#,
            r#"{"\u0000a":1}"#,
            "",
            "[1] x",
        ] {
            assert_eq!(norm(bad), None, "{bad:?}");
        }
        assert_eq!(php_normalize(b"{\"a\":\"\xff\"}"), None);
    }

    /// PHP's `json_encode(json_decode($x))` for each input (None where the round trip fails).
    fn php_normal_forms(inputs: &[String]) -> Vec<Option<String>> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let script = r#"
$out = [];
foreach (json_decode(file_get_contents('php://stdin')) as $s) {
    $d = json_decode($s);
    if (json_last_error() !== JSON_ERROR_NONE) { $out[] = null; continue; }
    $e = json_encode($d);
    $out[] = $e === false ? null : $e;
}
echo json_encode($out);
"#;
        let mut child = Command::new("php")
            .arg("-r")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("php is needed for this test (Debian: php-cli; scripts/install-deps.sh installs it)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(serde_json::to_string(inputs).unwrap().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "php failed");
        serde_json::from_slice(&out.stdout).expect("php's output")
    }

    /// A random JSON text with what the PHP form must get right.
    fn random_json(rng: &mut fastrand::Rng, depth: u32) -> String {
        const PARTS: [&str; 16] = [
            "a",
            "\\u00e9",
            "\\/",
            "/",
            "\\\"",
            "\\\\",
            "\\n",
            "\\u001f",
            "\\u007f",
            "\u{e9}",
            "\\ud83d\\ude00",
            "\u{1f600}",
            "\\ud800",
            "\u{2028}",
            "\\b",
            "x y",
        ];
        const NUMS: [&str; 26] = [
            "0",
            "-0",
            "-0.0",
            "1",
            "1.0",
            "1.50",
            "-12.25",
            "1e2",
            "1E+2",
            "2.5e-3",
            "1e21",
            "1e17",
            "1e16",
            "99999999999999999",
            "12345678901234567890",
            "9223372036854775808",
            "-9223372036854775808",
            "0.0001",
            "0.00001",
            "1e-7",
            "3.14159",
            "0.1",
            "5e-324",
            "1.7976931348623157e308",
            "1e400",
            "123456789012345.678",
        ];
        let ws = |rng: &mut fastrand::Rng| [" ", "", "\n", "\t"][rng.usize(..4)];
        let string = |rng: &mut fastrand::Rng| {
            let s: String = (0..rng.usize(0..4))
                .map(|_| PARTS[rng.usize(..PARTS.len())])
                .collect();
            format!("\"{s}\"")
        };
        match rng.usize(0..if depth > 3 { 3 } else { 6 }) {
            0 => string(rng),
            1 => NUMS[rng.usize(..NUMS.len())].to_string(),
            2 => ["true", "false", "null"][rng.usize(..3)].to_string(),
            3 | 4 => {
                let keys = ["a", "b", "0", "1", "2", "", "k", "a"];
                let members: Vec<String> = (0..rng.usize(0..5))
                    .map(|_| {
                        let k = keys[rng.usize(..keys.len())];
                        format!(
                            "{}\"{k}\":{}{}",
                            ws(rng),
                            ws(rng),
                            random_json(rng, depth + 1)
                        )
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            _ => {
                let items: Vec<String> = (0..rng.usize(0..4))
                    .map(|_| random_json(rng, depth + 1))
                    .collect();
                format!("[{}{}]", items.join(", "), ws(rng))
            }
        }
    }

    #[test]
    fn the_php_form_is_what_php_computes() {
        let mut rng = fastrand::Rng::with_seed(20261202);
        let inputs: Vec<String> = (0..3000).map(|_| random_json(&mut rng, 0)).collect();
        let expected = php_normal_forms(&inputs);
        assert_eq!(expected.len(), inputs.len());
        let (mut compared, mut failing) = (0, 0);
        for (input, want) in inputs.iter().zip(&expected) {
            assert_eq!(norm(input).as_ref(), want.as_ref(), "input {input:?}");
            match want {
                Some(_) => compared += 1,
                None => failing += 1,
            }
        }
        assert!(
            compared > 2000 && failing > 50,
            "{compared} compared, {failing} failing"
        );
    }
}
