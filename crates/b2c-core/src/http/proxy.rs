//! Proxies, as curl reads them.
//!
//! - The `proxy` configuration key: an `http://`, `https://`, `socks5://` (the client
//!   resolves the target) or `socks5h://` (the proxy resolves it) URL, optionally with
//!   `user:password@` (percent-encoded). `"proxy": ""` means no proxy at all.
//! - Without the key, the environment as curl reads it: `https_proxy`/`HTTPS_PROXY` for
//!   https URLs, `http_proxy` (lowercase only, like curl: `HTTP_PROXY` can be set by a CGI
//!   request header) for http URLs, then `all_proxy`/`ALL_PROXY`.
//! - `no_proxy`/`NO_PROXY` (or the `no_proxy` key): comma-separated host names (a name
//!   matches itself and its subdomains; a leading `.` is ignored), IP addresses, CIDR
//!   ranges, `*` for everything; a `:port` suffix limits an entry to that port.
//!
//! Credentials never appear in a message or `Debug` output: a proxy is shown as
//! `scheme://host:port`.

use std::fmt;
use std::io::{Read, Write};
use std::net::IpAddr;

use zeroize::Zeroizing;

use super::url::{Scheme, Url};
use crate::error::{Cause, Error, ErrorKind, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyKind {
    Http,
    Https,
    Socks5,
    /// SOCKS5 with the target name resolved by the proxy.
    Socks5h,
}

/// One proxy server.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    /// The proxy's own address (`url.scheme` is https only for [`ProxyKind::Https`]).
    pub url: Url,
    user: Option<Zeroizing<String>>,
    password: Option<Zeroizing<String>>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Https => "https",
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Socks5h => "socks5h",
        };
        write!(
            f,
            "{scheme}://{}",
            super::url::Url::authority_with_port(&self.url)
        )
    }
}

impl Url {
    /// `host:port`, always with the port.
    pub fn authority_with_port(&self) -> String {
        format!("{}:{}", self.host_for_authority(), self.port)
    }
}

impl Proxy {
    /// Parse a proxy URL (the error never quotes it: it may hold a password).
    pub fn parse(s: &str) -> Result<Proxy> {
        let bad = |m: &str| Error::new(ErrorKind::Config, format!("proxy: {m}"));
        let (scheme, mut url, ui) = Url::parse_with_userinfo(s)
            .map_err(|_| bad("not a valid proxy URL (scheme://[user:password@]host[:port])"))?;
        let kind = match scheme.as_str() {
            "http" => ProxyKind::Http,
            "https" => ProxyKind::Https,
            "socks5" => ProxyKind::Socks5,
            "socks5h" => ProxyKind::Socks5h,
            _ => return Err(bad("the scheme must be http, https, socks5 or socks5h")),
        };
        if matches!(kind, ProxyKind::Socks5 | ProxyKind::Socks5h)
            && !s
                .split("://")
                .nth(1)
                .unwrap_or("")
                .split('/')
                .next()
                .unwrap_or("")
                .contains(':')
        {
            url.port = 1080;
        }
        if url.path != "/" && !url.path.is_empty() {
            return Err(bad("a proxy URL has no path"));
        }
        let (user, password) = match ui {
            Some(ui) => {
                if matches!(kind, ProxyKind::Socks5 | ProxyKind::Socks5h)
                    && (ui.user.len() > 255 || ui.password.len() > 255)
                {
                    return Err(bad("SOCKS5 user names and passwords are at most 255 bytes"));
                }
                (
                    Some(Zeroizing::new(ui.user)),
                    Some(Zeroizing::new(ui.password)),
                )
            }
            None => (None, None),
        };
        Ok(Proxy {
            kind,
            url,
            user,
            password,
        })
    }

    /// A stable identity for the connection pool (no credentials).
    pub fn pool_id(&self) -> String {
        self.to_string()
    }

    /// Whether the proxy URL carried a user name (and so credentials are sent).
    pub fn has_credentials(&self) -> bool {
        self.user.is_some()
    }

    fn basic_auth(&self) -> Option<Zeroizing<String>> {
        use base64::Engine as _;
        let user = self.user.as_ref()?;
        let pass = self.password.as_deref().map_or("", |p| p.as_str());
        let raw = Zeroizing::new(format!("{}:{}", user.as_str(), pass));
        Some(Zeroizing::new(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
        )))
    }

    /// `Proxy-Authorization` for an absolute-form request through an http(s) proxy.
    pub fn authorization(&self) -> Option<Zeroizing<String>> {
        match self.kind {
            ProxyKind::Http | ProxyKind::Https => self.basic_auth(),
            _ => None,
        }
    }

    /// Open a tunnel to `target` over `io` (already connected to the proxy, and TLS-wrapped
    /// for an https proxy): `CONNECT` for http(s) proxies, the SOCKS5 handshake otherwise.
    /// `resolved` is the target's address for socks5 (client-side resolution).
    pub fn tunnel<S: Read + Write>(
        &self,
        io: &mut S,
        target: &Url,
        resolved: Option<IpAddr>,
    ) -> Result<()> {
        match self.kind {
            ProxyKind::Http | ProxyKind::Https => self.connect(io, target),
            ProxyKind::Socks5 | ProxyKind::Socks5h => self.socks5(io, target, resolved),
        }
    }

    fn connect<S: Read + Write>(&self, io: &mut S, target: &Url) -> Result<()> {
        let authority = target.authority_with_port();
        let mut req = Zeroizing::new(format!(
            "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        ));
        if let Some(auth) = self.basic_auth() {
            req.push_str("Proxy-Authorization: ");
            req.push_str(&auth);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        io.write_all(req.as_bytes())
            .and_then(|_| io.flush())
            .map_err(|e| proxy_io(self, "sending CONNECT", e))?;
        // Read the answer head byte by byte: nothing after it may be consumed (the TLS
        // handshake with the target follows on the same stream).
        let mut head = Vec::with_capacity(256);
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 16 * 1024 {
                return Err(proxy_err(self, "the CONNECT answer head is too large"));
            }
            match io.read(&mut byte) {
                Ok(0) => return Err(proxy_err(self, "closed the connection during CONNECT")),
                Ok(_) => head.push(byte[0]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(proxy_io(self, "reading the CONNECT answer", e)),
            }
        }
        let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let line = String::from_utf8_lossy(line);
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| proxy_err(self, "answered CONNECT with something that is not HTTP"))?;
        match status {
            200..=299 => Ok(()),
            // 407 is the standard answer; some proxies (tinyproxy) answer wrong credentials
            // with 401. Either way it is the proxy, not the vendor, rejecting us.
            401 | 407 => Err(Error::new(
                ErrorKind::AuthRejected,
                format!(
                    "proxy {self} {} (HTTP {status})",
                    if self.has_credentials() {
                        "rejected the proxy credentials"
                    } else {
                        "requires authentication"
                    }
                ),
            )
            .with_http_status(status)
            .with_cause(Cause::Proxy)),
            s => {
                Err(proxy_err(self, &format!("refused the tunnel (HTTP {s})")).with_http_status(s))
            }
        }
    }

    fn socks5<S: Read + Write>(
        &self,
        io: &mut S,
        target: &Url,
        resolved: Option<IpAddr>,
    ) -> Result<()> {
        let with_auth = self.user.is_some();
        let methods: &[u8] = if with_auth { &[5, 2, 0, 2] } else { &[5, 1, 0] };
        io.write_all(methods)
            .map_err(|e| proxy_io(self, "greeting", e))?;
        let mut reply = [0u8; 2];
        io.read_exact(&mut reply)
            .map_err(|e| proxy_io(self, "reading the greeting answer", e))?;
        if reply[0] != 5 {
            return Err(proxy_err(self, "is not a SOCKS5 proxy"));
        }
        match reply[1] {
            0 => {}
            2 if with_auth => {
                let user = self.user.as_deref().map_or("", |u| u.as_str());
                let pass = self.password.as_deref().map_or("", |p| p.as_str());
                let mut msg = Zeroizing::new(Vec::with_capacity(3 + user.len() + pass.len()));
                msg.push(1);
                msg.push(user.len() as u8);
                msg.extend_from_slice(user.as_bytes());
                msg.push(pass.len() as u8);
                msg.extend_from_slice(pass.as_bytes());
                io.write_all(&msg)
                    .map_err(|e| proxy_io(self, "sending credentials", e))?;
                let mut ok = [0u8; 2];
                io.read_exact(&mut ok)
                    .map_err(|e| proxy_io(self, "reading the authentication answer", e))?;
                if ok[1] != 0 {
                    return Err(Error::new(
                        ErrorKind::AuthRejected,
                        format!("SOCKS5 proxy {self} rejected the credentials"),
                    )
                    .with_cause(Cause::Proxy));
                }
            }
            0xff => {
                return Err(proxy_err(
                    self,
                    "accepts none of the offered authentication methods",
                ))
            }
            _ => {
                return Err(proxy_err(
                    self,
                    "chose an authentication method not offered",
                ))
            }
        }
        let mut req = vec![5, 1, 0];
        match (self.kind, resolved) {
            (ProxyKind::Socks5, Some(IpAddr::V4(ip))) => {
                req.push(1);
                req.extend_from_slice(&ip.octets());
            }
            (ProxyKind::Socks5, Some(IpAddr::V6(ip))) => {
                req.push(4);
                req.extend_from_slice(&ip.octets());
            }
            _ => {
                if target.host.len() > 255 {
                    return Err(proxy_err(self, "cannot carry a host name this long"));
                }
                req.push(3);
                req.push(target.host.len() as u8);
                req.extend_from_slice(target.host.as_bytes());
            }
        }
        req.extend_from_slice(&target.port.to_be_bytes());
        io.write_all(&req)
            .map_err(|e| proxy_io(self, "sending CONNECT", e))?;
        let mut head = [0u8; 4];
        io.read_exact(&mut head)
            .map_err(|e| proxy_io(self, "reading the CONNECT answer", e))?;
        if head[1] != 0 {
            let why = match head[1] {
                1 => "general failure",
                2 => "connection not allowed by ruleset",
                3 => "network unreachable",
                4 => "host unreachable",
                5 => "connection refused",
                6 => "TTL expired",
                7 => "command not supported",
                8 => "address type not supported",
                _ => "unknown error",
            };
            return Err(proxy_err(
                self,
                &format!("could not reach the target: {why}"),
            ));
        }
        let rest = match head[3] {
            1 => 4 + 2,
            4 => 16 + 2,
            3 => {
                let mut n = [0u8; 1];
                io.read_exact(&mut n)
                    .map_err(|e| proxy_io(self, "reading the bound address", e))?;
                n[0] as usize + 2
            }
            _ => return Err(proxy_err(self, "answered with an unknown address type")),
        };
        let mut skip = vec![0u8; rest];
        io.read_exact(&mut skip)
            .map_err(|e| proxy_io(self, "reading the bound address", e))?;
        Ok(())
    }
}

fn proxy_err(p: &Proxy, what: &str) -> Error {
    Error::new(ErrorKind::Network, format!("proxy {p} {what}")).with_cause(Cause::Proxy)
}

fn proxy_io(p: &Proxy, what: &str, e: std::io::Error) -> Error {
    let timed_out = matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    );
    let kind = if timed_out {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    Error::new(kind, format!("proxy {p}: {what}: {e}")).with_cause(Cause::Proxy)
}

/// One `no_proxy` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
enum NoProxyEntry {
    All,
    Domain(String, Option<u16>),
    Net(IpAddr, u8, Option<u16>),
}

/// The hosts that bypass the proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy(Vec<NoProxyEntry>);

impl NoProxy {
    pub fn parse(s: &str) -> NoProxy {
        let mut out = Vec::new();
        for raw in s.split(',') {
            let e = raw.trim();
            if e.is_empty() {
                continue;
            }
            if e == "*" {
                out.push(NoProxyEntry::All);
                continue;
            }
            // host:port, [v6]:port, v6, v4/cidr
            let (host, port) = if let Some(rest) = e.strip_prefix('[') {
                match rest.split_once(']') {
                    Some((h, p)) => (
                        h.to_string(),
                        p.strip_prefix(':').and_then(|p| p.parse().ok()),
                    ),
                    None => continue,
                }
            } else if e.matches(':').count() == 1 {
                let (h, p) = e.split_once(':').unwrap_or((e, ""));
                (h.to_string(), p.parse().ok())
            } else {
                (e.to_string(), None)
            };
            let (addr, bits) = match host.split_once('/') {
                Some((a, b)) => (a.to_string(), b.parse::<u8>().ok()),
                None => (host.clone(), None),
            };
            if let Ok(ip) = addr.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                out.push(NoProxyEntry::Net(ip, bits.unwrap_or(max).min(max), port));
            } else {
                out.push(NoProxyEntry::Domain(
                    host.trim_start_matches("*.")
                        .trim_start_matches('.')
                        .to_ascii_lowercase(),
                    port,
                ));
            }
        }
        NoProxy(out)
    }

    pub fn matches(&self, url: &Url) -> bool {
        let host = url.host.as_str();
        let ip = host.parse::<IpAddr>().ok();
        self.0.iter().any(|e| match e {
            NoProxyEntry::All => true,
            NoProxyEntry::Domain(d, port) => {
                port.is_none_or(|p| p == url.port)
                    && (host == d || host.ends_with(&format!(".{d}")))
            }
            NoProxyEntry::Net(net, bits, port) => {
                port.is_none_or(|p| p == url.port) && ip.is_some_and(|ip| in_net(ip, *net, *bits))
            }
        })
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits as u32)
            };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits as u32)
            };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

/// How a client picks its proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// The environment (curl's variables), read once when the client is created.
    #[default]
    FromEnv,
    /// `"proxy": ""`: never a proxy.
    Off,
    /// The `proxy` key.
    Url(Proxy),
}

/// The resolved proxy choice of one client.
#[derive(Clone, Debug, Default)]
pub struct ProxyRules {
    https: Option<Proxy>,
    http: Option<Proxy>,
    no_proxy: NoProxy,
}

impl ProxyRules {
    /// `no_proxy`: the configuration key if given, else `no_proxy`/`NO_PROXY`.
    pub fn new(setting: &ProxySetting, no_proxy: Option<&str>) -> Result<ProxyRules> {
        Self::with_env(setting, no_proxy, |n| std::env::var(n).ok())
    }

    /// [`ProxyRules::new`] reading the environment through `getenv`.
    pub fn with_env(
        setting: &ProxySetting,
        no_proxy: Option<&str>,
        getenv: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxyRules> {
        let env = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| getenv(n).filter(|v| !v.trim().is_empty()))
        };
        let no_proxy = match no_proxy {
            Some(s) => NoProxy::parse(s),
            None => NoProxy::parse(&env(&["no_proxy", "NO_PROXY"]).unwrap_or_default()),
        };
        let from_env = |names: &[&str]| -> Result<Option<Proxy>> {
            match env(names) {
                None => Ok(None),
                Some(v) => {
                    // curl accepts a bare host:port: http:// is implied.
                    let v = if v.contains("://") {
                        v
                    } else {
                        format!("http://{v}")
                    };
                    Proxy::parse(&v)
                        .map(Some)
                        .map_err(|e| e.context("in the proxy environment variables"))
                }
            }
        };
        Ok(match setting {
            ProxySetting::Off => ProxyRules::default(),
            ProxySetting::Url(p) => ProxyRules {
                https: Some(p.clone()),
                http: Some(p.clone()),
                no_proxy,
            },
            ProxySetting::FromEnv => ProxyRules {
                https: from_env(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])?,
                http: from_env(&["http_proxy", "all_proxy", "ALL_PROXY"])?,
                no_proxy,
            },
        })
    }

    /// The proxy for `url`, if any.
    pub fn for_url(&self, url: &Url) -> Option<&Proxy> {
        let p = match url.scheme {
            Scheme::Https => self.https.as_ref(),
            Scheme::Http => self.http.as_ref(),
        }?;
        (!self.no_proxy.matches(url)).then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = Proxy::parse("http://u:p%40ss@proxy.corp:3128").unwrap();
        assert_eq!(p.kind, ProxyKind::Http);
        assert_eq!(p.to_string(), "http://proxy.corp:3128");
        assert!(!format!("{p:?}").contains("ss"));
        assert!(p.authorization().unwrap().starts_with("Basic "));
        assert_eq!(Proxy::parse("socks5h://p").unwrap().url.port, 1080);
        assert_eq!(Proxy::parse("https://p").unwrap().url.port, 443);
        assert_eq!(Proxy::parse("http://p").unwrap().url.port, 80);
        for bad in ["ftp://p", "p:3128", "http://u:secret@p/path"] {
            let e = Proxy::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
            assert!(!e.message().contains("secret"));
        }
    }

    #[test]
    fn no_proxy_like_curl() {
        let np = NoProxy::parse("example.com, .corp.lan,10.0.0.0/8, ::1, localhost:8080");
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(np.matches(&u("https://example.com/")));
        assert!(np.matches(&u("https://api.example.com/")));
        assert!(!np.matches(&u("https://notexample.com/")));
        assert!(np.matches(&u("https://a.corp.lan/")));
        assert!(np.matches(&u("https://10.1.2.3/")));
        assert!(!np.matches(&u("https://11.1.2.3/")));
        assert!(np.matches(&u("https://[::1]/")));
        assert!(np.matches(&u("http://localhost:8080/")));
        assert!(!np.matches(&u("http://localhost:8081/")));
        assert!(NoProxy::parse("*").matches(&u("https://anything/")));
        assert!(!NoProxy::parse("").matches(&u("https://anything/")));
    }

    #[test]
    fn the_environment_as_curl_reads_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let https = Url::parse("https://api.example.com/").unwrap();
        let http = Url::parse("http://10.1.2.3/").unwrap();
        let r = ProxyRules::with_env(
            &ProxySetting::FromEnv,
            None,
            env(&[
                ("HTTPS_PROXY", "http://corp:3128"),
                ("HTTP_PROXY", "http://cgi-header-injected:1"),
                ("NO_PROXY", "internal.example"),
            ]),
        )
        .unwrap();
        assert_eq!(r.for_url(&https).unwrap().to_string(), "http://corp:3128");
        assert!(
            r.for_url(&http).is_none(),
            "uppercase HTTP_PROXY is ignored, like curl"
        );
        assert!(r
            .for_url(&Url::parse("https://internal.example/").unwrap())
            .is_none());
        let r = ProxyRules::with_env(
            &ProxySetting::FromEnv,
            None,
            env(&[
                ("http_proxy", "proxy:8080"),
                ("all_proxy", "socks5h://s:1080"),
            ]),
        )
        .unwrap();
        assert_eq!(
            r.for_url(&http).unwrap().to_string(),
            "http://proxy:8080",
            "host:port means http://"
        );
        assert_eq!(
            r.for_url(&https).unwrap().to_string(),
            "socks5h://s:1080",
            "all_proxy as fallback"
        );
        // "proxy": "" wins over the environment.
        let off = ProxyRules::with_env(
            &ProxySetting::Off,
            None,
            env(&[("HTTPS_PROXY", "http://corp:3128")]),
        )
        .unwrap();
        assert!(off.for_url(&https).is_none());
        // A broken variable is a configuration error that does not show its credentials.
        let e = ProxyRules::with_env(
            &ProxySetting::FromEnv,
            None,
            env(&[("HTTPS_PROXY", "ftp://u:hunter2@x")]),
        )
        .unwrap_err();
        assert!(!e.message().contains("hunter2"), "{e}");
    }

    #[test]
    fn rules_pick_by_scheme_and_honour_no_proxy() {
        let p = Proxy::parse("http://proxy:3128").unwrap();
        let r = ProxyRules::new(&ProxySetting::Url(p), Some("internal.example")).unwrap();
        assert!(r
            .for_url(&Url::parse("https://api.example.com/").unwrap())
            .is_some());
        assert!(r
            .for_url(&Url::parse("https://internal.example/").unwrap())
            .is_none());
        let off = ProxyRules::new(&ProxySetting::Off, None).unwrap();
        assert!(off
            .for_url(&Url::parse("https://api.example.com/").unwrap())
            .is_none());
    }
}
