//! Name resolution, only when a connection is opened (never for a pooled one), cached.
//!
//! - IP literals are never looked up.
//! - A name is resolved with the system resolver (`getaddrinfo`, so `/etc/hosts`,
//!   `nsswitch` and `resolv.conf` apply) and the answer is kept for `dns_cache_s` (default 60;
//!   0 = no cache).
//! - `getaddrinfo` has no timeout of its own, so a lookup that is not in the cache runs on a
//!   short-lived helper thread that the caller waits for at most until its deadline (a slow
//!   resolver never holds a caller past it; the answer still lands in the cache). This is one
//!   thread per *cache miss*, not per request: with keep-alive and the cache, a steady stream
//!   of fee calls creates none.
//! - "No such name" (`EAI_NONAME`, `EAI_NODATA`) is permanent ([`Cause::DnsNotFound`], never
//!   retried); a temporary failure (`EAI_AGAIN`, `EAI_FAIL`, a system error, a timeout) is
//!   [`Cause::DnsTemporary`] and retried by the caller's policy.

use std::collections::HashMap;
use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::clock::Clock;
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::telemetry::{events, Level, Stats, Telemetry};

type Key = (String, u16);
/// Resolved addresses and when they were resolved.
type Cache = Arc<Mutex<HashMap<Key, (Vec<SocketAddr>, Instant)>>>;

/// The cache of one HTTP client (shared by its connections).
#[derive(Debug)]
pub struct Resolver {
    ttl: Duration,
    cache: Cache,
}

/// Most names cached (a client talks to one or two hosts; this bounds a misuse).
const MAX_CACHED: usize = 256;

impl Resolver {
    pub fn new(ttl: Duration) -> Self {
        Resolver {
            ttl,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The addresses of `host:port`, from the cache or the system resolver.
    pub fn resolve(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
        clock: &dyn Clock,
        tel: &Telemetry,
    ) -> Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let key = (host.to_string(), port);
        if !self.ttl.is_zero() {
            if let Some((addrs, at)) = self.cache.lock().get(&key) {
                if clock.now() < *at + self.ttl {
                    return Ok(addrs.clone());
                }
            }
        }
        Stats::inc(&tel.stats.dns_lookups);
        crate::log!(tel, Level::Debug, "dns", events::DNS, "resolving {host}");
        let left = clock.remaining(deadline);
        if left.is_zero() {
            return Err(crate::retry::deadline_error(
                "before resolving the host name",
            ));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let name = host.to_string();
        let cache = (!self.ttl.is_zero()).then(|| self.cache.clone());
        let now = clock.now();
        let spawned = std::thread::Builder::new()
            .name("b2c-dns".into())
            .spawn(move || {
                let r = getaddrinfo(&name, port);
                if let (Ok(addrs), Some(cache)) = (&r, cache) {
                    let mut c = cache.lock();
                    if c.len() >= MAX_CACHED {
                        c.clear();
                    }
                    c.insert((name, port), (addrs.clone(), now));
                }
                let _ = tx.send(r);
            });
        let r = match spawned {
            Ok(_) => match rx.recv_timeout(left) {
                Ok(r) => r,
                Err(_) => Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "resolving {host} took longer than the {} ms left before the deadline",
                        left.as_millis()
                    ),
                )
                .with_cause(Cause::DnsTemporary)),
            },
            // No thread to be had: resolve here, unbounded by the deadline but working.
            Err(_) => getaddrinfo(host, port),
        };
        if let Err(e) = &r {
            crate::log!(tel, Level::Warn, "dns", events::DNS, "{}", e.message());
        }
        r
    }
}

/// `getaddrinfo(host, NULL, {SOCK_STREAM})` with the port set on every answer.
fn getaddrinfo(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let c_host = CString::new(host)
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, "host name contains a NUL byte"))?;
    // SAFETY: hints is zero-initialised plain data; getaddrinfo writes *res only on success
    // and the list is freed exactly once with freeaddrinfo below.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        let rc = libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res);
        if rc != 0 {
            return Err(gai_error(host, rc));
        }
        let mut out = Vec::new();
        let mut p = res;
        while !p.is_null() {
            let ai = &*p;
            if !ai.ai_addr.is_null() {
                match ai.ai_family {
                    libc::AF_INET => {
                        let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                        let ip = Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr));
                        out.push(SocketAddr::V4(SocketAddrV4::new(ip, port)));
                    }
                    libc::AF_INET6 => {
                        let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                        let ip = Ipv6Addr::from(sa.sin6_addr.s6_addr);
                        out.push(SocketAddr::V6(SocketAddrV6::new(
                            ip,
                            port,
                            sa.sin6_flowinfo,
                            sa.sin6_scope_id,
                        )));
                    }
                    _ => {}
                }
            }
            p = ai.ai_next;
        }
        libc::freeaddrinfo(res);
        out.dedup();
        if out.is_empty() {
            return Err(Error::new(
                ErrorKind::Network,
                format!("host {host} has no IPv4 or IPv6 address"),
            )
            .with_cause(Cause::DnsNotFound));
        }
        Ok(out)
    }
}

fn gai_error(host: &str, rc: i32) -> Error {
    match rc {
        libc::EAI_NONAME | libc::EAI_NODATA => Error::new(
            ErrorKind::Network,
            format!("host {host} not found (the resolver says no such name)"),
        )
        .with_cause(Cause::DnsNotFound),
        libc::EAI_AGAIN => Error::new(
            ErrorKind::Network,
            format!("temporary failure resolving {host}"),
        )
        .with_cause(Cause::DnsTemporary),
        _ => Error::new(
            ErrorKind::Network,
            format!("cannot resolve {host} (resolver error {rc})"),
        )
        .with_cause(Cause::DnsTemporary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::system;

    #[test]
    fn literals_localhost_and_nonexistent_names() {
        let r = Resolver::new(Duration::from_secs(60));
        let tel = Telemetry::default();
        let clock = system();
        let dl = clock.now() + Duration::from_secs(5);
        assert_eq!(
            r.resolve("127.0.0.1", 80, dl, &*clock, &tel).unwrap(),
            vec!["127.0.0.1:80".parse().unwrap()]
        );
        assert_eq!(
            tel.stats
                .dns_lookups
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
        let a = r.resolve("localhost", 8080, dl, &*clock, &tel).unwrap();
        assert!(
            a.iter().all(|s| s.ip().is_loopback() && s.port() == 8080),
            "{a:?}"
        );
        let _ = r.resolve("localhost", 8080, dl, &*clock, &tel).unwrap();
        assert_eq!(
            tel.stats
                .dns_lookups
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "cached"
        );
        let e = r
            .resolve("no-such-host.invalid", 443, dl, &*clock, &tel)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Network);
        // Where the sandbox has no resolver at all, .invalid may fail as "temporary".
        assert!(
            matches!(e.cause(), Cause::DnsNotFound | Cause::DnsTemporary),
            "{e:?}"
        );
    }
}
