//! A strict `--flag value` parser: unknown flags and missing values are errors.

use std::collections::BTreeMap;

use b2c_core::Error;

pub struct Args {
    values: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    /// `valued`: flags that take a value; `switches`: flags that don't.
    pub fn parse(args: Vec<String>, valued: &[&str], switches: &[&str]) -> Result<Args, Error> {
        let mut values = BTreeMap::new();
        let mut on = Vec::new();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(Error::invalid_arg(format!("unexpected argument `{arg}`")));
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (name.to_string(), None),
            };
            if switches.contains(&name.as_str()) {
                on.push(name);
            } else if valued.contains(&name.as_str()) {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .ok_or_else(|| Error::invalid_arg(format!("--{name} needs a value")))?,
                };
                if values.insert(name.clone(), v).is_some() {
                    return Err(Error::invalid_arg(format!("--{name} given twice")));
                }
            } else {
                return Err(Error::invalid_arg(format!("unknown flag --{name}")));
            }
        }
        Ok(Args {
            values,
            switches: on,
        })
    }

    /// The flag's value, else the environment variable's.
    pub fn optional(&self, name: &str, env: Option<&str>) -> Option<String> {
        self.values.get(name).cloned().or_else(|| {
            env.and_then(|e| std::env::var(e).ok())
                .filter(|v| !v.is_empty())
        })
    }

    pub fn required(&self, name: &str, env: Option<&str>) -> Result<String, Error> {
        self.optional(name, env).ok_or_else(|| match env {
            Some(e) => Error::invalid_arg(format!("--{name} is required (or set {e})")),
            None => Error::invalid_arg(format!("--{name} is required")),
        })
    }

    pub fn number(&self, name: &str) -> Result<Option<u64>, Error> {
        self.optional(name, None)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Error::invalid_arg(format!("--{name} must be a non-negative integer"))
                })
            })
            .transpose()
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}
