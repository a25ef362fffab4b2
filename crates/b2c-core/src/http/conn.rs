//! One HTTP/1.1 connection: opening it (TCP, proxy tunnel, TLS), writing a request in one
//! write, and reading the response strictly, every read bounded by the caller's deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use zeroize::Zeroizing;

use super::proxy::{Proxy, ProxyKind};
use super::url::{Scheme, Url};
use super::{HttpConfig, Response};
use crate::clock::Clock;
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::retry::deadline_error;
use crate::telemetry::{events, Level, Stats, Telemetry};

/// A byte stream over a TCP socket (plain, TLS, TLS inside a TLS proxy tunnel).
pub(crate) trait Io: Read + Write + Send {
    fn socket(&self) -> &TcpStream;
}

impl Io for TcpStream {
    fn socket(&self) -> &TcpStream {
        self
    }
}

impl<S: Io> Io for StreamOwned<ClientConnection, S> {
    fn socket(&self) -> &TcpStream {
        self.sock.socket()
    }
}

impl Io for Box<dyn Io> {
    fn socket(&self) -> &TcpStream {
        (**self).socket()
    }
}

/// Largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields accepted in a response.
pub const MAX_HEADERS: usize = 128;
const BUF: usize = 16 * 1024;

pub(crate) struct Conn {
    io: Box<dyn Io>,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// The socket's current SO_RCVTIMEO / SO_SNDTIMEO.
    timeout: Duration,
    read_timeout: Duration,
    /// Requests go out in absolute form with this authorization (http through an http proxy).
    pub absolute_form: bool,
    pub proxy_auth: Option<Zeroizing<String>>,
    /// The connection broke or its framing is unknown: never reused.
    broken: bool,
}

fn io_error(e: io::Error, deadline: Instant, clock: &dyn Clock, what: &str) -> Error {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return Error::new(ErrorKind::Tls, format!("TLS error {what}: {tls}"))
            .with_cause(Cause::Tls);
    }
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            if clock.remaining(deadline).is_zero() {
                deadline_error(what)
            } else {
                Error::new(
                    ErrorKind::Timeout,
                    format!("no data {what} within the read timeout"),
                )
                .with_cause(Cause::ReadTimeout)
            }
        }
        _ => Error::new(ErrorKind::Network, format!("connection failed {what}: {e}"))
            .with_cause(Cause::Reset),
    }
}

fn set_timeouts(sock: &TcpStream, t: Duration) -> io::Result<()> {
    let t = t.max(Duration::from_millis(1));
    sock.set_read_timeout(Some(t))?;
    sock.set_write_timeout(Some(t))
}

/// What was read of a response when it failed: nothing at all means the server never saw or
/// never answered the request (a stale pooled connection can be replaced and the request
/// sent again when it is safe to replay).
pub(crate) struct Failed {
    pub error: Error,
    pub nothing_received: bool,
}

impl Conn {
    fn new(io: Box<dyn Io>, timeout: Duration, read_timeout: Duration) -> Conn {
        Conn {
            io,
            buf: vec![0u8; BUF].into_boxed_slice(),
            pos: 0,
            end: 0,
            timeout,
            read_timeout,
            absolute_form: false,
            proxy_auth: None,
            broken: false,
        }
    }

    /// Bound the next socket operation by `min(read_timeout, time left)`. In the steady state
    /// (the deadline farther away than the read timeout) this makes no system call.
    fn bound(&mut self, deadline: Instant, clock: &dyn Clock, what: &str) -> Result<()> {
        let left = clock.remaining(deadline);
        if left.is_zero() {
            return Err(deadline_error(what));
        }
        let want = self.read_timeout.min(left).max(Duration::from_millis(1));
        if want < self.timeout || (want > self.timeout && self.timeout < self.read_timeout) {
            set_timeouts(self.io.socket(), want).map_err(|e| io_error(e, deadline, clock, what))?;
            self.timeout = want;
        }
        Ok(())
    }

    /// Whether the pooled connection still looks usable: nothing to read (no FIN, no stray
    /// bytes). One non-blocking `recv(MSG_PEEK)`.
    pub fn alive(&self) -> bool {
        if self.broken || self.pos != self.end {
            return false;
        }
        let mut b = [0u8; 1];
        // SAFETY: a valid fd owned by this connection and a 1-byte buffer.
        let n = unsafe {
            libc::recv(
                self.io.socket().as_raw_fd(),
                b.as_mut_ptr().cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            return err.kind() == io::ErrorKind::WouldBlock;
        }
        false
    }

    pub fn reusable(&self) -> bool {
        !self.broken && self.pos == self.end
    }

    /// Write the whole request (head and body in one buffer: one write).
    pub fn write_all(&mut self, bytes: &[u8], deadline: Instant, clock: &dyn Clock) -> Result<()> {
        self.bound(deadline, clock, "sending the request")?;
        let r = self.io.write_all(bytes).and_then(|_| self.io.flush());
        r.map_err(|e| {
            self.broken = true;
            io_error(e, deadline, clock, "sending the request")
        })
    }

    fn fill(&mut self, deadline: Instant, clock: &dyn Clock, what: &str) -> Result<usize> {
        if self.pos > 0 && self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.pos == 0 {
                return Ok(0); // full: the caller handles its limit
            }
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        loop {
            self.bound(deadline, clock, what)?;
            match self.io.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.broken = true;
                    // rustls reports a peer that closed without close_notify as UnexpectedEof.
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        return Ok(0);
                    }
                    return Err(io_error(e, deadline, clock, what));
                }
            }
        }
    }

    /// Read one response to a request with `method_head` (no body) semantics.
    pub fn read_response(
        &mut self,
        method_head: bool,
        max_body: u64,
        deadline: Instant,
        clock: &dyn Clock,
    ) -> std::result::Result<Response, Failed> {
        let mut received_any = false;
        let fail = |error: Error, received: bool| Failed {
            error,
            nothing_received: !received,
        };
        loop {
            // The head.
            let head_len = loop {
                if let Some(i) = find(&self.buf[self.pos..self.end], b"\r\n\r\n") {
                    break i + 4;
                }
                if self.end - self.pos >= MAX_HEAD.min(self.buf.len()) {
                    self.broken = true;
                    return Err(fail(malformed("the response head is too large"), true));
                }
                let n = self
                    .fill(deadline, clock, "waiting for the response")
                    .map_err(|e| fail(e, received_any))?;
                if n == 0 {
                    self.broken = true;
                    let e = if received_any || self.end > self.pos {
                        reset("the connection closed in the middle of the response head")
                    } else {
                        reset("the connection closed before any response")
                    };
                    return Err(fail(e, received_any || self.end > self.pos));
                }
                received_any = true;
            };
            let head = parse_head(&self.buf[self.pos..self.pos + head_len]).map_err(|e| {
                self.broken = true;
                fail(e, true)
            })?;
            self.pos += head_len;
            if (100..200).contains(&head.status) {
                if head.status == 101 {
                    self.broken = true;
                    return Err(fail(malformed("unexpected 101 Switching Protocols"), true));
                }
                continue; // 100 Continue and friends: the real answer follows
            }
            let no_body = method_head || head.status == 204 || head.status == 304;
            let body = if no_body {
                Vec::new()
            } else if head.chunked {
                self.read_chunked(max_body, head.status, deadline, clock)
                    .map_err(|e| fail(e, true))?
            } else if let Some(len) = head.content_length {
                if len > max_body {
                    self.broken = true;
                    return Err(fail(too_large(max_body, head.status), true));
                }
                self.read_exact_body(len as usize, deadline, clock)
                    .map_err(|e| fail(e, true))?
            } else {
                // Delimited by the end of the connection.
                self.broken = true;
                self.read_to_close(max_body, head.status, deadline, clock)
                    .map_err(|e| fail(e, true))?
            };
            if head.close {
                self.broken = true;
            }
            return Ok(Response {
                status: head.status,
                content_type: head.content_type,
                retry_after: head.retry_after,
                body,
            });
        }
    }

    fn take_buffered(&mut self, want: usize, out: &mut Vec<u8>) -> usize {
        let n = want.min(self.end - self.pos);
        out.extend_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    fn read_exact_body(
        &mut self,
        len: usize,
        deadline: Instant,
        clock: &dyn Clock,
    ) -> Result<Vec<u8>> {
        let mut body = Vec::with_capacity(len.min(1 << 20));
        while body.len() < len {
            if self.pos == self.end {
                let n = self.fill(deadline, clock, "reading the response body")?;
                if n == 0 {
                    self.broken = true;
                    return Err(reset(&format!(
                        "the connection closed after {} of {len} body bytes",
                        body.len()
                    )));
                }
            }
            let want = len - body.len();
            self.take_buffered(want, &mut body);
        }
        Ok(body)
    }

    fn read_to_close(
        &mut self,
        max: u64,
        status: u16,
        deadline: Instant,
        clock: &dyn Clock,
    ) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            if self.pos < self.end {
                let want = self.end - self.pos;
                self.take_buffered(want, &mut body);
                if body.len() as u64 > max {
                    return Err(too_large(max, status));
                }
            }
            let n = self.fill(deadline, clock, "reading the response body")?;
            if n == 0 {
                return Ok(body);
            }
        }
    }

    /// One CRLF-terminated line of at most 4 KiB (chunk sizes, trailers).
    fn read_line(&mut self, deadline: Instant, clock: &dyn Clock) -> Result<Vec<u8>> {
        loop {
            if let Some(i) = find(&self.buf[self.pos..self.end], b"\r\n") {
                let line = self.buf[self.pos..self.pos + i].to_vec();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.end - self.pos > 4096 {
                self.broken = true;
                return Err(malformed("a chunk-size or trailer line is too long"));
            }
            if self.fill(deadline, clock, "reading the response body")? == 0 {
                self.broken = true;
                return Err(reset(
                    "the connection closed in the middle of a chunked body",
                ));
            }
        }
    }

    fn read_chunked(
        &mut self,
        max: u64,
        status: u16,
        deadline: Instant,
        clock: &dyn Clock,
    ) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(deadline, clock)?;
            let size_text = line.split(|&b| b == b';').next().unwrap_or(&[]);
            let size_text = std::str::from_utf8(size_text)
                .ok()
                .map(str::trim)
                .filter(|s| {
                    !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .ok_or_else(|| {
                    self.broken = true;
                    malformed("invalid chunk size")
                })?;
            let size =
                u64::from_str_radix(size_text, 16).map_err(|_| malformed("invalid chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                for _ in 0..MAX_HEADERS {
                    if self.read_line(deadline, clock)?.is_empty() {
                        return Ok(body);
                    }
                }
                self.broken = true;
                return Err(malformed("too many trailer fields"));
            }
            if body.len() as u64 + size > max {
                self.broken = true;
                return Err(too_large(max, status));
            }
            let chunk = self.read_exact_body(size as usize, deadline, clock)?;
            body.extend_from_slice(&chunk);
            if !self.read_line(deadline, clock)?.is_empty() {
                self.broken = true;
                return Err(malformed("a chunk is not followed by CRLF"));
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn malformed(msg: &str) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("malformed HTTP response: {msg}"),
    )
    .with_cause(Cause::Malformed)
}

fn reset(msg: &str) -> Error {
    Error::new(ErrorKind::Network, msg.to_string()).with_cause(Cause::Reset)
}

fn too_large(max: u64, status: u16) -> Error {
    Error::new(
        ErrorKind::ResponseTooLarge,
        format!("response body exceeds the {max}-byte limit (HTTP {status})"),
    )
    .with_http_status(status)
}

pub(crate) struct Head {
    pub status: u16,
    pub content_length: Option<u64>,
    pub chunked: bool,
    pub close: bool,
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
}

/// Parse `HTTP/1.x SP 3DIGIT SP reason CRLF (field CRLF)* CRLF` strictly.
pub(crate) fn parse_head(raw: &[u8]) -> Result<Head> {
    let text = std::str::from_utf8(raw).map_err(|_| malformed("the head is not UTF-8"))?;
    let text = text
        .strip_suffix("\r\n\r\n")
        .ok_or_else(|| malformed("unterminated head"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let (version, rest) = status_line
        .split_once(' ')
        .ok_or_else(|| malformed("no status line"))?;
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(malformed("not an HTTP/1.x status line")),
    };
    let code = rest.get(..3).ok_or_else(|| malformed("no status code"))?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || (rest.len() > 3 && rest.as_bytes()[3] != b' ') {
        return Err(malformed("invalid status code"));
    }
    let status: u16 = code.parse().map_err(|_| malformed("invalid status code"))?;
    if !(100..=599).contains(&status) {
        return Err(malformed("status code out of range"));
    }
    let mut head = Head {
        status,
        content_length: None,
        chunked: false,
        close: !http11,
        content_type: None,
        retry_after: None,
    };
    let mut count = 0;
    for line in lines {
        count += 1;
        if count > MAX_HEADERS {
            return Err(malformed("too many header fields"));
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            return Err(malformed("obsolete line folding"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("a header field without ':'"))?;
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(malformed("an invalid header field name"));
        }
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(malformed("a control character in a header value"));
        }
        if name.eq_ignore_ascii_case("content-length") {
            for v in value.split(',') {
                let v = v.trim();
                let n: u64 = v
                    .parse()
                    .ok()
                    .filter(|_| {
                        !v.is_empty() && v.len() <= 15 && v.bytes().all(|b| b.is_ascii_digit())
                    })
                    .ok_or_else(|| malformed("invalid Content-Length"))?;
                if head.content_length.is_some_and(|c| c != n) {
                    return Err(malformed("conflicting Content-Length values"));
                }
                head.content_length = Some(n);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(',').next().unwrap_or("").trim();
            if last.eq_ignore_ascii_case("chunked") {
                head.chunked = true;
            } else {
                // Any other transfer coding: the body runs to the end of the connection.
                head.chunked = false;
                head.close = true;
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for t in value.split(',') {
                let t = t.trim();
                if t.eq_ignore_ascii_case("close") {
                    head.close = true;
                } else if t.eq_ignore_ascii_case("keep-alive") && !http11 {
                    head.close = false;
                }
            }
        } else if name.eq_ignore_ascii_case("content-type") {
            head.content_type = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("retry-after") {
            head.retry_after = super::parse_retry_after(value);
        }
    }
    if head.chunked {
        // RFC 9112 §6.3: Transfer-Encoding wins; a Content-Length beside it is an attack smell.
        if head.content_length.is_some() {
            return Err(malformed("both Transfer-Encoding and Content-Length"));
        }
    }
    Ok(head)
}

pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Open a connection to `target` (directly or through `proxy`), TLS included.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open(
    target: &Url,
    proxy: Option<&Proxy>,
    cfg: &HttpConfig,
    resolver: &super::dns::Resolver,
    tls: &dyn Fn() -> Result<Arc<ClientConfig>>,
    deadline: Instant,
    clock: &dyn Clock,
    tel: &Telemetry,
) -> Result<Conn> {
    let first_hop = proxy.map_or(target, |p| &p.url);
    let addrs = resolver.resolve(&first_hop.host, first_hop.port, deadline, clock, tel)?;
    let tcp = tcp_connect(&addrs, first_hop, cfg, deadline, clock)?;
    Stats::inc(&tel.stats.connections_opened);
    crate::log!(
        tel,
        Level::Debug,
        "http",
        events::CONNECT,
        "connected to {}{}",
        first_hop.authority_with_port(),
        proxy.map_or(String::new(), |p| format!(
            " (proxy {p} for {})",
            target.authority_with_port()
        ))
    );
    let handshake_timeout = cfg.connect_timeout.min(clock.remaining(deadline));
    set_timeouts(&tcp, handshake_timeout)
        .map_err(|e| io_error(e, deadline, clock, "connecting"))?;
    let mut io: Box<dyn Io> = Box::new(tcp);
    let mut absolute_form = false;
    let mut proxy_auth = None;
    if let Some(p) = proxy {
        if p.kind == ProxyKind::Https {
            io = tls_wrap(io, &p.url.host, tls()?, deadline, clock, tel)?;
        }
        let tunnel = target.scheme == Scheme::Https
            || matches!(p.kind, ProxyKind::Socks5 | ProxyKind::Socks5h);
        if tunnel {
            let resolved = if p.kind == ProxyKind::Socks5 {
                resolver
                    .resolve(&target.host, target.port, deadline, clock, tel)?
                    .first()
                    .map(SocketAddr::ip)
            } else {
                None
            };
            p.tunnel(&mut io, target, resolved).map_err(|e| {
                if e.kind() == ErrorKind::Network && e.message().contains("timed out") {
                    deadline_error("opening the proxy tunnel")
                } else {
                    e
                }
            })?;
        } else {
            absolute_form = true;
            proxy_auth = p.authorization();
        }
    }
    if target.scheme == Scheme::Https {
        io = tls_wrap(io, &target.host, tls()?, deadline, clock, tel)?;
    }
    let timeout = cfg
        .read_timeout
        .min(clock.remaining(deadline))
        .max(Duration::from_millis(1));
    set_timeouts(io.socket(), timeout).map_err(|e| io_error(e, deadline, clock, "connecting"))?;
    let mut conn = Conn::new(io, timeout, cfg.read_timeout);
    conn.absolute_form = absolute_form;
    conn.proxy_auth = proxy_auth;
    Ok(conn)
}

fn tcp_connect(
    addrs: &[SocketAddr],
    hop: &Url,
    cfg: &HttpConfig,
    deadline: Instant,
    clock: &dyn Clock,
) -> Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        let left = clock.remaining(deadline);
        if left.is_zero() {
            return Err(deadline_error(&format!(
                "connecting to {}",
                hop.authority_with_port()
            )));
        }
        let t = cfg.connect_timeout.min(left).max(Duration::from_millis(1));
        match TcpStream::connect_timeout(addr, t) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, e) = match last {
        Some(x) => x,
        None => {
            return Err(
                Error::new(ErrorKind::Network, format!("no address for {}", hop.host))
                    .with_cause(Cause::DnsNotFound),
            )
        }
    };
    let timed_out = matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    );
    let kind = if timed_out {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    let what = if timed_out {
        "timed out connecting to"
    } else {
        "cannot connect to"
    };
    Err(Error::new(
        kind,
        format!("{what} {} ({addr}): {e}", hop.authority_with_port()),
    )
    .with_cause(Cause::Connect))
}

fn tls_wrap(
    io: Box<dyn Io>,
    host: &str,
    config: Arc<ClientConfig>,
    deadline: Instant,
    clock: &dyn Clock,
    tel: &Telemetry,
) -> Result<Box<dyn Io>> {
    let name = ServerName::try_from(host.to_string()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{host} is not a valid TLS server name"),
        )
    })?;
    let conn = ClientConnection::new(config, name).map_err(|e| {
        Error::new(ErrorKind::Tls, format!("TLS setup: {e}")).with_cause(Cause::Tls)
    })?;
    let mut stream = StreamOwned::new(conn, io);
    while stream.conn.is_handshaking() {
        if clock.remaining(deadline).is_zero() {
            return Err(deadline_error("during the TLS handshake"));
        }
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            let err = io_error(e, deadline, clock, "during the TLS handshake");
            return Err(if err.kind() == ErrorKind::Network {
                Error::new(ErrorKind::Tls, err.message().to_string()).with_cause(Cause::Tls)
            } else {
                err
            });
        }
    }
    Stats::inc(&tel.stats.tls_handshakes);
    if stream.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
        Stats::inc(&tel.stats.tls_resumed);
        crate::log!(
            tel,
            Level::Debug,
            "http",
            events::TLS_RESUMED,
            "TLS session resumed with {host}"
        );
    }
    Ok(Box::new(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let h = parse_head(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (h.status, h.content_length, h.chunked, h.close),
            (200, Some(5), false, false)
        );
        assert_eq!(h.content_type.as_deref(), Some("application/json"));
        let h = parse_head(b"HTTP/1.0 503 \r\nRetry-After: 7\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.close, h.retry_after),
            (503, true, Some(Duration::from_secs(7)))
        );
        let h = parse_head(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        assert!(h.chunked && h.close);
        for bad in [
            &b"HTTP/2 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200OK\r\n\r\n",
            b"HTTP/1.1 999 X\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n",
            b"garbage\r\n\r\n",
        ] {
            assert!(parse_head(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
