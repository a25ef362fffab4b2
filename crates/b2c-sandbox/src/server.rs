//! A minimal, strict HTTP/1.1 server on `std::net`, for the sandbox emulators.
//!
//! - Binds `127.0.0.1:PORT` (port 0 = ephemeral); one thread per connection (at most
//!   [`MAX_CONNECTIONS`] at once; more are answered 503 and closed).
//! - Keep-alive by default (HTTP/1.1); `Connection: close` (or HTTP/1.0 without
//!   `Connection: keep-alive`) closes after the response.
//! - Strict parsing: `METHOD SP origin-form SP HTTP/1.x CRLF`, CRLF line endings, header
//!   names are tokens, no obsolete line folding, at most [`MAX_HEADERS`] headers and
//!   [`MAX_HEAD_BYTES`] of head (else 431), `Host` required for HTTP/1.1 (else 400).
//! - Bodies by `Content-Length` only: any `Transfer-Encoding` is answered 411; conflicting or
//!   malformed `Content-Length` 400; more than [`MAX_BODY_BYTES`] 413. Every framing error
//!   closes the connection after the answer.
//! - Idle/read timeout [`IDLE_TIMEOUT`] per socket, so connection threads never leak.
//! - Shutdown: a stop flag, a connect-to-self to unblock `accept`, join of the accept thread,
//!   and every open connection socket is shut down so its thread exits promptly.
//! - With `B2C_SANDBOX_LOG=1` in the environment, one line per request goes to stderr:
//!   method, path (never the query, headers or body) and status.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

/// Largest accepted request head (request line + headers).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header fields accepted in one request.
pub const MAX_HEADERS: usize = 64;
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// A connection idle (or stalled mid-request) this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Most connections served at once.
pub const MAX_CONNECTIONS: usize = 256;

/// One parsed request.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string without the `?` (empty if none).
    pub query: String,
    /// Header fields in arrival order, names lowercased, values trimmed.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
}

impl HttpRequest {
    /// The first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
    /// `None` if the header is missing, another scheme, or the token is empty or contains
    /// whitespace.
    pub fn bearer(&self) -> Option<&str> {
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return None;
        }
        if token
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return None;
        }
        Some(token)
    }

    /// The media type of `Content-Type`, lowercased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        let v = self.header("content-type")?;
        Some(
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase(),
        )
    }
}

/// What a handler answers.
#[derive(Debug, Clone)]
pub enum HttpReply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Drop,
    /// Byte-level misbehaviour (fault injection): write `bytes`, then end as `end` says.
    Raw {
        bytes: Vec<u8>,
        /// Pause before each byte (a slow drip); zero writes them at once.
        per_byte: Duration,
        end: RawEnd,
    },
}

/// How a [`HttpReply::Raw`] answer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawEnd {
    /// Close the connection normally (FIN): a truncated answer.
    Close,
    /// Reset the connection (RST).
    Reset,
    /// Keep the connection open, sending nothing more, until the client gives up (or the
    /// idle timeout): a silent server.
    Hold,
    /// Keep sending `x` bytes forever (an endless body), until the client closes.
    Endless,
}

impl HttpReply {
    /// `application/json` response with `v` serialized.
    pub fn json(status: u16, v: &serde_json::Value) -> Self {
        Self::json_bytes(status, serde_json::to_vec(v).unwrap_or_default())
    }

    /// `application/json` response with a pre-serialized (or deliberately broken) body.
    pub fn json_bytes(status: u16, body: Vec<u8>) -> Self {
        HttpReply::Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        }
    }

    /// `text/plain; charset=utf-8` response.
    pub fn text(status: u16, s: &str) -> Self {
        HttpReply::Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: s.as_bytes().to_vec(),
        }
    }

    /// Add a header (no effect on [`HttpReply::Drop`]).
    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        if let HttpReply::Response { headers, .. } = &mut self {
            headers.push((k.to_string(), v.to_string()));
        }
        self
    }

    /// The status, or `None` for [`HttpReply::Drop`] and raw faults.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpReply::Response { status, .. } => Some(*status),
            HttpReply::Drop | HttpReply::Raw { .. } => None,
        }
    }
}

/// Reads the number of connections a [`Server`] accepted.
#[derive(Clone)]
pub struct ConnectionCounter(Arc<Shared>);

impl ConnectionCounter {
    pub fn get(&self) -> u64 {
        self.0.accepted.load(Ordering::Relaxed)
    }
}

/// The request handler shared by all connection threads.
pub type Handler = Arc<dyn Fn(&HttpRequest) -> HttpReply + Send + Sync>;

struct Shared {
    stop: AtomicBool,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
    /// Connections accepted since start.
    accepted: AtomicU64,
    log: bool,
}

/// A running server. Dropping it shuts it down.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Bind `127.0.0.1:port` (0 = ephemeral) and serve `handler` on a background thread.
    pub fn start(port: u16, handler: Handler) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            accepted: AtomicU64::new(0),
            log: std::env::var("B2C_SANDBOX_LOG")
                .map(|v| v == "1")
                .unwrap_or(false),
        });
        let sh = shared.clone();
        let accept = std::thread::Builder::new()
            .name(format!("sandbox-accept-{}", addr.port()))
            .spawn(move || accept_loop(listener, sh, handler))?;
        Ok(Server {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// TCP connections accepted since start (a client that reuses connections opens few).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    /// A shared view of the accepted-connections counter (for the control surface).
    pub fn connection_counter(&self) -> ConnectionCounter {
        ConnectionCounter(self.shared.clone())
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// Stop accepting, close the listener (the port is free when this returns) and shut
    /// down every open connection. Idempotent.
    pub fn shutdown(&mut self) {
        let Some(handle) = self.accept.take() else {
            return;
        };
        self.shared.stop.store(true, Ordering::SeqCst);
        // Unblock accept(). If the connect fails the listener is already broken and the
        // accept loop has exited (or will on its next error).
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2));
        let _ = handle.join();
        for (_, s) in self.shared.conns.lock().drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, handler: Handler) {
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(_) => {
                // EMFILE and friends: back off briefly instead of spinning.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
        let _ = stream.set_nodelay(true);
        shared.accepted.fetch_add(1, Ordering::Relaxed);
        if shared.conns.lock().len() >= MAX_CONNECTIONS {
            let mut s = stream;
            let _ = write_response(
                &mut s,
                503,
                &[("Content-Type".into(), "text/plain; charset=utf-8".into())],
                b"too many connections",
                true,
                false,
            );
            let _ = s.shutdown(Shutdown::Both);
            continue;
        }
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            shared.conns.lock().insert(id, clone);
        }
        let sh = shared.clone();
        let h = handler.clone();
        let spawned = std::thread::Builder::new()
            .name("sandbox-conn".into())
            .spawn(move || {
                serve_connection(stream, peer, &sh, &h);
                sh.conns.lock().remove(&id);
            });
        if spawned.is_err() {
            if let Some(s) = shared.conns.lock().remove(&id) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
    // The listener is dropped here: the port is free.
}

/// A framing error: answer `status` with `msg` and close.
struct Reject {
    status: u16,
    msg: &'static str,
}

fn reject(status: u16, msg: &'static str) -> Reject {
    Reject { status, msg }
}

enum ReadOutcome {
    Request(HttpRequest, bool /* keep alive */),
    /// The peer closed cleanly between requests, timed out, or the socket failed.
    Closed,
    Reject(Reject),
}

fn serve_connection(mut stream: TcpStream, peer: SocketAddr, shared: &Shared, handler: &Handler) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        match read_request(&mut stream, &mut buf, peer) {
            ReadOutcome::Closed => break,
            ReadOutcome::Reject(r) => {
                if shared.log {
                    eprintln!("b2c-sandbox: <malformed request> -> {}", r.status);
                }
                let body = serde_json::to_vec(&serde_json::json!({
                    "code": 3, "message": r.msg, "details": []
                }))
                .unwrap_or_default();
                let _ = write_response(
                    &mut stream,
                    r.status,
                    &[("Content-Type".into(), "application/json".into())],
                    &body,
                    true,
                    false,
                );
                break;
            }
            ReadOutcome::Request(req, keep_alive) => {
                let reply = handler(&req);
                if shared.log {
                    match reply.status() {
                        Some(s) => eprintln!("b2c-sandbox: {} {} -> {}", req.method, req.path, s),
                        None => eprintln!("b2c-sandbox: {} {} -> <dropped>", req.method, req.path),
                    }
                }
                match reply {
                    HttpReply::Drop => break,
                    HttpReply::Raw {
                        bytes,
                        per_byte,
                        end,
                    } => {
                        write_raw(&mut stream, &bytes, per_byte, end, shared);
                        break;
                    }
                    HttpReply::Response {
                        status,
                        headers,
                        body,
                    } => {
                        let head_only = req.method == "HEAD";
                        if write_response(
                            &mut stream,
                            status,
                            &headers,
                            &body,
                            !keep_alive,
                            head_only,
                        )
                        .is_err()
                            || !keep_alive
                        {
                            break;
                        }
                    }
                }
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Write a byte-level fault (see [`RawEnd`]); the connection is finished afterwards.
fn write_raw(
    stream: &mut TcpStream,
    bytes: &[u8],
    per_byte: Duration,
    end: RawEnd,
    shared: &Shared,
) {
    if per_byte.is_zero() {
        let _ = stream.write_all(bytes);
    } else {
        for b in bytes {
            if shared.stop.load(Ordering::SeqCst) || stream.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(per_byte);
        }
    }
    let _ = stream.flush();
    match end {
        RawEnd::Close => {}
        RawEnd::Reset => {
            // SO_LINGER 0: close() sends RST instead of FIN.
            let _ = socket_linger_zero(stream);
        }
        RawEnd::Hold => {
            // Read (and discard) until the client closes or the idle timeout ends it.
            let mut sink = [0u8; 1024];
            while !shared.stop.load(Ordering::SeqCst) {
                match stream.read(&mut sink) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        RawEnd::Endless => {
            let chunk = [b'x'; 4096];
            // Blocks in write_all while the client does not read; ends when it closes.
            loop {
                if shared.stop.load(Ordering::SeqCst) || stream.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
    }
}

fn socket_linger_zero(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket fd and a properly sized linger struct.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, peer: SocketAddr) -> ReadOutcome {
    // 1. The head.
    let head_end = loop {
        if let Some(end) = find_head_end(buf) {
            if end > MAX_HEAD_BYTES {
                return ReadOutcome::Reject(reject(431, "request head too large"));
            }
            break end;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return ReadOutcome::Reject(reject(431, "request head too large"));
        }
        if buf.windows(2).any(|w| w == b"\n\n") {
            return ReadOutcome::Reject(reject(400, "request head must use CRLF line endings"));
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            // EOF between requests, or a partial head then EOF: nobody left to answer.
            Ok(0) => return ReadOutcome::Closed,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return ReadOutcome::Closed,
        }
    };
    let head: Vec<u8> = buf.drain(..head_end).collect();
    let head = &head[..head.len() - 4];
    let Ok(head) = std::str::from_utf8(head) else {
        return ReadOutcome::Reject(reject(400, "request head is not valid UTF-8"));
    };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    if head.split("\r\n").any(|l| l.contains(['\r', '\n'])) {
        return ReadOutcome::Reject(reject(400, "bare CR or LF in request head"));
    }

    // 2. Request line.
    let parts: Vec<&str> = request_line.split(' ').collect();
    if parts.len() != 3 {
        return ReadOutcome::Reject(reject(400, "malformed request line"));
    }
    let (method, target, version) = (parts[0], parts[1], parts[2]);
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return ReadOutcome::Reject(reject(400, "malformed method"));
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return ReadOutcome::Reject(reject(505, "only HTTP/1.0 and HTTP/1.1 are supported")),
    };
    if !target.starts_with('/') || target.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return ReadOutcome::Reject(reject(400, "request target must be origin-form"));
    }
    if target.contains('#') {
        return ReadOutcome::Reject(reject(400, "fragment in request target"));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };

    // 3. Headers.
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if headers.len() >= MAX_HEADERS {
            return ReadOutcome::Reject(reject(431, "too many header fields"));
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            return ReadOutcome::Reject(reject(400, "obsolete header line folding"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return ReadOutcome::Reject(reject(400, "malformed header field"));
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return ReadOutcome::Reject(reject(400, "malformed header name"));
        }
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return ReadOutcome::Reject(reject(400, "control character in header value"));
        }
        headers.push((name.to_ascii_lowercase(), value.to_string()));
    }
    let get_all = |n: &str| -> Vec<&str> {
        headers
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    if http11 && get_all("host").len() != 1 {
        return ReadOutcome::Reject(reject(400, "exactly one Host header is required"));
    }
    if !get_all("transfer-encoding").is_empty() {
        return ReadOutcome::Reject(reject(
            411,
            "Transfer-Encoding is not supported; send Content-Length",
        ));
    }
    let mut content_length: Option<usize> = None;
    for v in get_all("content-length") {
        for item in v.split(',') {
            let item = item.trim();
            if item.is_empty() || item.len() > 12 || !item.bytes().all(|b| b.is_ascii_digit()) {
                return ReadOutcome::Reject(reject(400, "malformed Content-Length"));
            }
            let n: usize = match item.parse() {
                Ok(n) => n,
                Err(_) => return ReadOutcome::Reject(reject(400, "malformed Content-Length")),
            };
            if content_length.is_some_and(|c| c != n) {
                return ReadOutcome::Reject(reject(400, "conflicting Content-Length values"));
            }
            content_length = Some(n);
        }
    }
    let len = content_length.unwrap_or(0);
    if len > MAX_BODY_BYTES {
        return ReadOutcome::Reject(reject(413, "request body too large"));
    }
    let connection: Vec<String> = get_all("connection")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let keep_alive = if http11 {
        !connection.iter().any(|t| t == "close")
    } else {
        connection.iter().any(|t| t == "keep-alive")
    };
    let expect: Vec<&str> = get_all("expect");
    if !expect.is_empty() {
        if expect.len() == 1 && expect[0].eq_ignore_ascii_case("100-continue") {
            if len > 0 && buf.len() < len {
                let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
        } else {
            return ReadOutcome::Reject(reject(417, "unsupported Expect"));
        }
    }

    // 4. Body.
    while buf.len() < len {
        let mut chunk = [0u8; 16 * 1024];
        let want = (len - buf.len()).min(chunk.len());
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return ReadOutcome::Closed,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return ReadOutcome::Closed,
        }
    }
    let body: Vec<u8> = buf.drain(..len).collect();
    ReadOutcome::Request(
        HttpRequest {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body,
            peer,
        },
        keep_alive,
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    close: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", status, reason(status)).as_bytes());
    for (k, v) in headers {
        // Framing headers are ours; never let a handler (or a CR/LF) corrupt them.
        if k.eq_ignore_ascii_case("content-length")
            || k.eq_ignore_ascii_case("connection")
            || k.eq_ignore_ascii_case("transfer-encoding")
            || k.contains(['\r', '\n'])
            || v.contains(['\r', '\n'])
        {
            continue;
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(body);
    }
    stream.write_all(&out)?;
    stream.flush()
}
