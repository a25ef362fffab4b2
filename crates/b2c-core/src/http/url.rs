//! URLs as the vendor APIs use them: `http(s)://host[:port][/path][?query]`, parsed strictly.
//!
//! A [`Url`] never prints credentials: `Display` omits userinfo, and vendor base URLs with
//! userinfo are refused outright ([`Url::parse`]); only proxy URLs may carry them
//! ([`Url::parse_with_userinfo`], used by the proxy module, which keeps them apart).

use std::fmt;
use std::net::IpAddr;

use crate::error::{Error, ErrorKind, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A parsed absolute URL. `host` is without brackets for IPv6.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 8 * 1024;

fn bad(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("invalid URL: {msg}"))
}

/// The `user:password` part of a proxy URL, percent-decoded.
pub struct UserInfo {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserInfo(<redacted>)")
    }
}

impl Url {
    /// Parse a URL without userinfo (vendor base URLs, RetailCRM systemUrl). Error messages
    /// never quote the URL (it may hold a credential).
    pub fn parse(s: &str) -> Result<Url> {
        let (url, userinfo) = Self::parse_any(s)?;
        if userinfo.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "invalid URL: credentials (user:password@) are not allowed in this URL",
            ));
        }
        Ok(url)
    }

    /// Parse a URL that may carry `user:password@` (proxy URLs); any scheme `://`.
    pub fn parse_with_userinfo(s: &str) -> Result<(String, Url, Option<UserInfo>)> {
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://host"))?;
        let scheme = scheme.to_ascii_lowercase();
        let pseudo = format!("http://{rest}");
        let (mut url, ui) = Self::parse_any(&pseudo)?;
        if scheme == "https" {
            url.scheme = Scheme::Https;
            if !rest.split('/').next().unwrap_or("").contains(':')
                || rest.split('/').next().unwrap_or("").ends_with(']')
            {
                url.port = if url.port == 80 { 443 } else { url.port };
            }
        }
        Ok((scheme, url, ui))
    }

    fn parse_any(s: &str) -> Result<(Url, Option<UserInfo>)> {
        if s.len() > MAX_URL_LEN {
            return Err(bad("too long"));
        }
        if s.bytes().any(|b| b <= 0x20 || b == 0x7f) {
            return Err(bad("contains whitespace or control characters"));
        }
        if !s.is_ascii() {
            return Err(bad(
                "contains non-ASCII characters (use punycode / percent-encoding)",
            ));
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("must start with https://"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(bad("the scheme must be https (or http for loopback)")),
        };
        if rest.contains('#') {
            return Err(bad("a fragment (#...) is not allowed"));
        }
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(auth_end);
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let userinfo = match userinfo {
            None => None,
            Some(ui) => {
                let (u, p) = ui.split_once(':').unwrap_or((ui, ""));
                Some(UserInfo {
                    user: percent_decode(u)?,
                    password: percent_decode(p)?,
                })
            }
        };
        let (host, port) = split_host_port(hostport)?;
        let port = match port {
            Some(p) => p,
            None => scheme.default_port(),
        };
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        Ok((
            Url {
                scheme,
                host,
                port,
                path,
            },
            userinfo,
        ))
    }

    /// The host as it appears in a URL (IPv6 in brackets).
    pub fn host_for_authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// `host[:port]`, the port only when not the scheme's default (the `Host` header).
    pub fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host_for_authority()
        } else {
            format!("{}:{}", self.host_for_authority(), self.port)
        }
    }

    /// Whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// This URL with `path` appended to its path with exactly one `/` between them.
    pub fn join(&self, path: &str) -> Url {
        let (base, query) = match self.path.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (self.path.as_str(), None),
        };
        let _ = query; // a base URL's query is dropped when a path is joined
        let joined = format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        Url {
            scheme: self.scheme,
            host: self.host.clone(),
            port: self.port,
            path: joined,
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.path
        )
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({self})")
    }
}

fn split_host_port(hp: &str) -> Result<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = hp.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| bad("unterminated [IPv6] host"))?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("invalid IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("unexpected characters after ]"))?,
            ),
        };
        (h.to_string(), port)
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hp.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    if !host.contains(':')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(bad("the host has characters a host name cannot have"));
    }
    if host.len() > 253 {
        return Err(bad("the host name is too long"));
    }
    let port = match port {
        None => None,
        Some(p) => {
            let n: u16 = p
                .parse()
                .ok()
                .filter(|n| *n > 0 && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| bad("the port must be 1..65535"))?;
            Some(n)
        }
    };
    Ok((host.to_ascii_lowercase(), port))
}

fn percent_decode(s: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(bad("malformed %-escape in the credentials")),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad("the credentials are not UTF-8"))
}

/// Whether `host` (a URL host, brackets optional) is a loopback address or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// The https-except-loopback rule for a URL string; returns the parsed URL.
pub fn check_url(url: &str, allow_insecure_http: bool) -> Result<Url> {
    let u = Url::parse(url)?;
    check_scheme(&u, allow_insecure_http)?;
    Ok(u)
}

/// The https-except-loopback rule for a parsed URL.
pub fn check_scheme(u: &Url, allow_insecure_http: bool) -> Result<()> {
    match u.scheme {
        Scheme::Https => Ok(()),
        Scheme::Http if allow_insecure_http || u.is_loopback() => Ok(()),
        Scheme::Http => Err(Error::new(
            ErrorKind::InsecureUrl,
            format!(
                "refusing plain http to non-loopback host {}: use https",
                u.host
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_vendors_use() {
        let u = Url::parse("https://API.b2binpay.com/").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.path.as_str()),
            (Scheme::Https, "api.b2binpay.com", 443, "/")
        );
        assert_eq!(u.to_string(), "https://api.b2binpay.com/");
        let u = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((u.port, u.path.as_str()), (8080, "/"));
        assert_eq!(u.authority(), "127.0.0.1:8080");
        let u = Url::parse("http://[::1]:9/x?y=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 9, "/x?y=1")
        );
        assert_eq!(u.authority(), "[::1]:9");
        assert!(u.is_loopback());
        let j = Url::parse("https://h/base/").unwrap().join("/api/v5/x");
        assert_eq!(j.path, "/base/api/v5/x");
        assert_eq!(Url::parse("https://h").unwrap().join("a").path, "/a");
    }

    #[test]
    fn refuses_what_they_do_not() {
        for bad in [
            "ftp://h/",
            "https://",
            "https://h:0/",
            "https://h:99999/",
            "https://h:x/",
            "https://h /",
            "https://h/\r\nX: y",
            "https://h/#frag",
            "https://hö/",
            "h/no-scheme",
            "https://[::1/",
            "https://a b/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
        let e = Url::parse("https://alice:s3cret@host/").unwrap_err();
        assert!(
            !e.message().contains("s3cret") && !e.message().contains("alice"),
            "{e}"
        );
    }

    #[test]
    fn the_loopback_rule() {
        assert!(check_url("https://example.com/x", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080/", false).is_ok());
        assert!(check_url("http://localhost:1/", false).is_ok());
        assert!(check_url("http://[::1]:1/", false).is_ok());
        assert_eq!(
            check_url("http://example.com/", false).unwrap_err().kind(),
            ErrorKind::InsecureUrl
        );
        assert!(check_url("http://example.com/", true).is_ok());
        assert_eq!(
            check_url("http://127.0.0.1.evil.com/", false)
                .unwrap_err()
                .kind(),
            ErrorKind::InsecureUrl
        );
    }

    #[test]
    fn proxy_urls_keep_their_credentials_apart() {
        let (scheme, u, ui) =
            Url::parse_with_userinfo("socks5h://us%40r:p%3Ass@proxy.corp:1080").unwrap();
        assert_eq!(scheme, "socks5h");
        assert_eq!((u.host.as_str(), u.port), ("proxy.corp", 1080));
        let ui = ui.unwrap();
        assert_eq!((ui.user.as_str(), ui.password.as_str()), ("us@r", "p:ss"));
        assert!(!format!("{u} {ui:?}").contains("p:ss"));
        let (_, u, _) = Url::parse_with_userinfo("https://proxy").unwrap();
        assert_eq!((u.scheme, u.port), (Scheme::Https, 443));
        let (_, u, _) = Url::parse_with_userinfo("https://proxy:8443").unwrap();
        assert_eq!(u.port, 8443);
    }
}
