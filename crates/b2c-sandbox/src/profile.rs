//! The two profiles and the leniencies.
//!
//! The **lenient** profile (the default) accepts what the vendors' documentation allows or
//! is silent on, including what the vendors' own samples send and what their servers are
//! known to accept, even where the client library is not supposed to need it. Each such
//! acceptance is a named *leniency*: it is counted (`/_sandbox/stats` `"leniencies":
//! {"name": count}`, [`Leniencies::counts`]) and the first use of each name prints one line
//! to stderr. A test can therefore assert that the library never needed one.
//!
//! The **strict** profile (`--strict`, `SandboxConfig { strict: true, .. }`) refuses every
//! one of them, as the sandbox did before the profiles existed.

use std::collections::BTreeMap;
use std::io::Write;

use parking_lot::Mutex;

/// Every leniency: its stable name and what it accepts. The names are what
/// `/_sandbox/stats` reports; README.md and `--help` list the same names.
pub const LENIENCIES: &[(&str, &str)] = &[
    (
        "b2copy_jwt_typ_missing",
        "B2COPY external JWT header without \"typ\" (what jjwt, the vendor's Java sample, produces)",
    ),
    (
        "b2copy_jwt_typ_case",
        "B2COPY external JWT header \"typ\" in another case than \"JWT\" (e.g. \"jwt\")",
    ),
    (
        "b2copy_jwt_iss_missing",
        "B2COPY external JWT without an \"iss\" claim (the page requires only admin_id, device_ip, key_id)",
    ),
    (
        "b2copy_jwt_iat_missing",
        "B2COPY external JWT without an \"iat\" claim (the lifetime is then checked from now)",
    ),
    (
        "b2copy_jwt_fractional_time",
        "B2COPY external JWT \"iat\"/\"exp\" with a fraction (RFC 7519 NumericDate allows it)",
    ),
    (
        "b2copy_content_type_not_json",
        "B2COPY JSON body sent without Content-Type: application/json (the page's own curl -d example)",
    ),
    (
        "b2copy_camel_case_field",
        "B2COPY body field in camelCase (externalToken, accountLogin, requestId), as a gRPC gateway accepts",
    ),
    (
        "b2copy_unknown_field",
        "B2COPY body with fields the page does not name, which a gRPC gateway ignores",
    ),
    (
        "undocumented_endpoint",
        "an authenticated call to an undocumented B2COPY (/api/...) or B2BINPAY path, answered with an echo",
    ),
    (
        "b2binpay_no_trailing_slash",
        "B2BINPAY /token/refresh without its trailing slash",
    ),
    (
        "crm_signature_normalized",
        "CRM Open API signature over JSON.stringify(JSON.parse(body)) instead of the raw body (the vendor's JavaScript/TypeScript samples)",
    ),
    (
        "crm_signature_php_normalized",
        "CRM Open API signature over json_encode(json_decode(body)) instead of the raw body (the vendor's PHP sample: slashes and non-ASCII escaped)",
    ),
    (
        "crm_signature_uppercase_hex",
        "CRM Open API signature with uppercase hex digits",
    ),
    (
        "retailcrm_api_key_param",
        "RetailCRM API key as the apiKey query or form parameter instead of the X-API-KEY header (the v5 API accepts it)",
    ),
];

/// The description of a leniency name (`None` if the name is not in [`LENIENCIES`]).
pub fn describe(name: &str) -> Option<&'static str> {
    LENIENCIES.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
}

/// The profile of one sandbox and the leniencies it granted. Shared by its emulators.
pub struct Leniencies {
    strict: bool,
    /// Print the one-line warning on first use (default true).
    warn: bool,
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Leniencies {
    /// A lenient (`strict == false`) or strict registry that warns on stderr.
    pub fn new(strict: bool) -> Self {
        Leniencies {
            strict,
            warn: true,
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    /// The same without the stderr lines.
    pub fn quiet(strict: bool) -> Self {
        Leniencies {
            warn: false,
            ..Self::new(strict)
        }
    }

    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// `"strict"` or `"lenient"`.
    pub fn profile_name(&self) -> &'static str {
        if self.strict {
            "strict"
        } else {
            "lenient"
        }
    }

    /// May the request be accepted with leniency `name`? Strict: never (false). Lenient:
    /// counts the use, warns on the first one, and returns true.
    pub fn allow(&self, name: &'static str) -> bool {
        debug_assert!(describe(name).is_some(), "leniency {name} is not listed");
        if self.strict {
            return false;
        }
        let first = {
            let mut c = self.counts.lock();
            let n = c.entry(name).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first && self.warn {
            let what = describe(name).unwrap_or("");
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "b2c-sandbox: warning: leniency {name}: accepted {what} (counted in /_sandbox/stats; --strict refuses it)"
            );
        }
        true
    }

    /// How many times each leniency was granted (only names used at least once).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    /// How many times `name` was granted.
    pub fn count(&self, name: &str) -> u64 {
        self.counts.lock().get(name).copied().unwrap_or(0)
    }
}

impl Default for Leniencies {
    /// Lenient, warning on stderr.
    fn default() -> Self {
        Self::new(false)
    }
}

impl std::fmt::Debug for Leniencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leniencies")
            .field("profile", &self.profile_name())
            .field("counts", &self.counts())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_counts_strict_refuses() {
        let l = Leniencies::quiet(false);
        assert!(l.allow("b2copy_jwt_typ_missing"));
        assert!(l.allow("b2copy_jwt_typ_missing"));
        assert!(l.allow("crm_signature_normalized"));
        assert_eq!(l.count("b2copy_jwt_typ_missing"), 2);
        assert_eq!(l.counts().len(), 2);
        assert_eq!(l.profile_name(), "lenient");
        let s = Leniencies::quiet(true);
        assert!(!s.allow("b2copy_jwt_typ_missing"));
        assert!(s.counts().is_empty());
        assert_eq!(s.profile_name(), "strict");
    }

    #[test]
    fn names_are_unique_and_documented() {
        let mut names: Vec<&str> = LENIENCIES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), LENIENCIES.len());
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("crates/b2c-sandbox/README.md");
        for n in names {
            assert!(crate::USAGE.contains(n), "--help does not list {n}");
            assert!(readme.contains(n), "README.md does not list {n}");
        }
    }
}
