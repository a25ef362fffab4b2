//! Process-wide shared handles: one native client per distinct configuration, kept for the
//! life of the process, so that code whose objects die with each request (a PHP-FPM worker,
//! a Python request handler) reuses the same client, its tokens and its keep-alive
//! connections across requests.
//!
//! Lifetime rules:
//! - [`client`] / [`b2binpay`] return an `Arc` to the registry's client for the configuration
//!   (the same JSON, whatever the order of its keys, gives the same client). Callers drop
//!   their `Arc` when done (the C ABI: `b2c_client_free`).
//! - The registry keeps a client after its last caller let it go, for the next request with
//!   the same configuration. [`clear_idle`] drops the clients nobody holds; the registry also
//!   drops the least recently used idle ones when it holds more than [`MAX_IDLE`].
//! - After `fork()` the child never reuses a client created in its parent (its connections
//!   belong to the parent): it creates its own.
//! - Everything set on a shared client (a log callback, a token store) applies to every
//!   holder.
//!
//! The registry is keyed by a SHA-256 of the canonical configuration, so it holds no copy of
//! the configuration's secrets.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::Mutex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::b2binpay::B2binpayClient;
use crate::b2copy::Client;
use crate::error::{Error, ErrorKind, Result};

/// Idle shared clients kept at most (per kind); beyond it the least recently used go.
pub const MAX_IDLE: usize = 64;

struct Entry<T> {
    value: Arc<T>,
    last_used: Instant,
    pid: u32,
}

/// A registry of shared values of one kind.
pub struct Registry<T> {
    entries: Mutex<HashMap<[u8; 32], Entry<T>>>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

/// The canonical form of a JSON value: object keys sorted, recursively, no whitespace.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The registry key of a configuration: SHA-256 over the kind and its canonical JSON.
pub fn config_key(kind: &str, json: &str) -> Result<[u8; 32]> {
    let v: Value = serde_json::from_str(json).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!(
                "configuration is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut s = zeroize::Zeroizing::new(String::new());
    canonical(&v, &mut s);
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0u8]);
    h.update(s.as_bytes());
    Ok(h.finalize().into())
}

impl<T> Registry<T> {
    /// The shared value for `key`, made by `make` if there is none (or only one inherited
    /// from a parent process).
    pub fn get_or_create(&self, key: [u8; 32], make: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
        let pid = std::process::id();
        let mut entries = self.entries.lock();
        if let Some(e) = entries.get_mut(&key) {
            if e.pid == pid {
                e.last_used = Instant::now();
                return Ok(e.value.clone());
            }
        }
        // Made under the lock: two callers with the same configuration get one client.
        let value = Arc::new(make()?);
        if let Some(old) = entries.insert(
            key,
            Entry {
                value: value.clone(),
                last_used: Instant::now(),
                pid,
            },
        ) {
            // Inherited across fork: its sockets are the parent's; never close them here.
            std::mem::forget(old.value);
        }
        Self::evict(&mut entries, pid);
        Ok(value)
    }

    fn evict(entries: &mut HashMap<[u8; 32], Entry<T>>, pid: u32) {
        let idle = |e: &Entry<T>| Arc::strong_count(&e.value) == 1;
        while entries.values().filter(|e| idle(e)).count() > MAX_IDLE {
            let Some(oldest) = entries
                .iter()
                .filter(|(_, e)| idle(e))
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(e) = entries.remove(&oldest) {
                if e.pid != pid {
                    std::mem::forget(e.value);
                }
            }
        }
    }

    /// Drop every value nobody holds; returns how many.
    pub fn clear_idle(&self) -> usize {
        let pid = std::process::id();
        let mut entries = self.entries.lock();
        let before = entries.len();
        let keys: Vec<[u8; 32]> = entries
            .iter()
            .filter(|(_, e)| Arc::strong_count(&e.value) == 1)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            if let Some(e) = entries.remove(&k) {
                if e.pid != pid {
                    std::mem::forget(e.value);
                }
            }
        }
        before - entries.len()
    }

    /// How many values the registry holds (in use or idle).
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn b2copy_registry() -> &'static Registry<Client> {
    static R: OnceLock<Registry<Client>> = OnceLock::new();
    R.get_or_init(Registry::default)
}

fn b2binpay_registry() -> &'static Registry<B2binpayClient> {
    static R: OnceLock<Registry<B2binpayClient>> = OnceLock::new();
    R.get_or_init(Registry::default)
}

/// The shared B2COPY client for this configuration (the JSON of `b2c_client_new`).
pub fn client(json: &str) -> Result<Arc<Client>> {
    let key = config_key("b2copy", json)?;
    b2copy_registry().get_or_create(key, || {
        let (cfg, key) = crate::config::client_config_from_json(json)?;
        Client::new(cfg, key)
    })
}

/// The shared B2BINPAY handle for this configuration (the JSON of `b2c_b2binpay_new`).
pub fn b2binpay(json: &str) -> Result<Arc<B2binpayClient>> {
    let key = config_key("b2binpay", json)?;
    b2binpay_registry().get_or_create(key, || {
        let (cfg, http) = crate::config::b2binpay_config_from_json(json)?;
        B2binpayClient::new(cfg, crate::http::HttpClient::new(http)?)
    })
}

/// Drop the shared clients and handles nobody holds; returns how many.
pub fn clear_idle() -> usize {
    b2copy_registry().clear_idle() + b2binpay_registry().clear_idle()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_key_order_and_hold_no_secret() {
        let a = config_key("b2copy", r#"{"a":1,"b":{"y":2,"x":"s3cr3t"}}"#).unwrap();
        let b = config_key("b2copy", r#"{ "b": {"x":"s3cr3t","y":2}, "a": 1 }"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(
            a,
            config_key("b2binpay", r#"{"a":1,"b":{"y":2,"x":"s3cr3t"}}"#).unwrap()
        );
        assert_ne!(
            a,
            config_key("b2copy", r#"{"a":2,"b":{"y":2,"x":"s3cr3t"}}"#).unwrap()
        );
        assert_eq!(
            config_key("b2copy", "{").unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn one_value_per_key_kept_while_idle_and_cleared() {
        let r: Registry<String> = Registry::default();
        let k = [7u8; 32];
        let a = r.get_or_create(k, || Ok("one".to_string())).unwrap();
        let b = r.get_or_create(k, || Ok("two".to_string())).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        // Idle, but kept for the next caller.
        let c = r.get_or_create(k, || Ok("three".to_string())).unwrap();
        assert_eq!(c.as_str(), "one");
        assert_eq!(r.clear_idle(), 0, "held by c");
        drop(c);
        assert_eq!(r.clear_idle(), 1);
        assert!(r.is_empty());
        assert!(r
            .get_or_create(k, || Err(Error::invalid_arg("no")))
            .is_err());
        assert!(r.is_empty(), "a failed creation leaves nothing");
        for i in 0..(MAX_IDLE + 10) {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(i as u64).to_le_bytes());
            r.get_or_create(key, || Ok(i.to_string())).unwrap();
        }
        // The cap applies when a value is added (the newest was still held then).
        assert_eq!(
            r.len(),
            MAX_IDLE + 1,
            "idle values beyond the cap are evicted"
        );
    }
}
