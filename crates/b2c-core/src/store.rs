//! Token stores: where a credential's token pair lives so that several processes (PHP-FPM
//! workers, cron jobs, CLI runs, hosts behind a load balancer) share one pair instead of each
//! exchanging its own.
//!
//! A store holds one **record** per credential identity ([`identity`]: a hash of the vendor,
//! the base URL and the account, never a secret) and offers a cross-process **lock** per
//! identity. The clients use it like this (B2COPY and B2BINPAY alike):
//!
//! - With no pair in memory, a client first adopts the stored pair if it is still good.
//! - Every renewal (authenticate, refresh, re-authenticate) happens under the store's lock:
//!   the client takes the lock (waiting no longer than its caller's deadline), re-reads the
//!   record (another process may have renewed meanwhile: then it adopts that pair and sends
//!   nothing), otherwise exchanges and saves the new pair before it lets the lock go. So across
//!   every process sharing the store one credential performs one exchange at a time, and a
//!   refresh token is sent by exactly one process.
//! - A 401 on a pair that is no longer the stored one adopts the stored pair (re-read before
//!   refreshing).
//! - A record that does not parse (torn, corrupt, from another version) is ignored, never
//!   fatal: the client authenticates again and overwrites it. A store that fails (I/O, a Redis
//!   that is down) is logged and the client goes on with its own exchange.
//!
//! The record holds the tokens: it is a secret, and the only one b2c ever puts on disk (the
//! file store writes it mode 0600 in a 0700 directory). Its JSON layout is private to b2c
//! (`"v": 1`); hosts store and return the bytes untouched.

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::deadline_error;
use crate::telemetry::{events, Level, Stats, Telemetry};

/// Largest record accepted from a store (two 16 KiB tokens and their times fit easily).
pub const MAX_RECORD: usize = 64 * 1024;

/// A held cross-process lock; dropping it releases the lock.
pub trait StoreLock: Send {}

/// Where token records live. Implementations: [`FileStore`]; the C ABI's callback store
/// (`b2c_token_store`), which the bindings use for Redis and the host's database.
pub trait TokenStore: Send + Sync {
    /// The record saved under `key`, or `None` when there is none.
    fn load(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Replace the record under `key` (atomically: a reader sees the old or the new one).
    fn save(&self, key: &str, record: &[u8]) -> Result<()>;
    /// Take the lock of `key`, waiting at most `timeout`. The holder releases it within
    /// `lease` (a store whose locks expire, such as Redis, may let it go after that: a holder
    /// that died must not block the others). `Ok(None)`: not acquired within `timeout`.
    fn lock(
        &self,
        key: &str,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Option<Box<dyn StoreLock>>>;
    /// A short name for messages (`file`, `callbacks`).
    fn kind(&self) -> &'static str;
}

/// The store's key for one credential: `VENDOR-<40 hex digits of SHA-256>` over the vendor and
/// the identifying parts (base URL, account). Never contains a secret.
pub fn identity(vendor: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(vendor.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let hex: String = d.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("{vendor}-{hex}")
}

/// One stored token pair, with what a client needs to schedule it.
#[derive(Clone)]
pub struct Record {
    pub access: Zeroizing<String>,
    /// `None`: no usable refresh token (B2BINPAY marks its single-use token as taken before
    /// it sends it).
    pub refresh: Option<Zeroizing<String>>,
    /// When the pair was obtained (wall clock).
    pub obtained: SystemTime,
    /// Lifetimes as issued, when known.
    pub access_life: Option<Duration>,
    pub refresh_life: Option<Duration>,
    /// Stated expiries (wall clock), when known.
    pub access_expires: Option<SystemTime>,
    pub refresh_expires: Option<SystemTime>,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("has_refresh", &self.refresh.is_some())
            .field("obtained", &self.obtained)
            .field("access_life", &self.access_life)
            .finish_non_exhaustive()
    }
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(u64::MAX as u128) as u64)
}

fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(UNIX_EPOCH)
}

/// The fields a record carries, in the order the checksum covers them.
const FIELDS: [&str; 9] = [
    "v",
    "vendor",
    "access",
    "refresh",
    "obtained_ms",
    "access_life_ms",
    "refresh_life_ms",
    "access_expires_ms",
    "refresh_expires_ms",
];

/// A checksum over the fields in a fixed order (independent of how a JSON library orders
/// object keys).
fn check_of(o: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut h = Sha256::new();
    for k in FIELDS {
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(
            o.get(k)
                .unwrap_or(&serde_json::Value::Null)
                .to_string()
                .as_bytes(),
        );
        h.update(b"\n");
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Record {
    /// The bytes a store keeps: a JSON object with a checksum of the rest.
    pub fn encode(&self, vendor: &str) -> Zeroizing<Vec<u8>> {
        let opt_ms = |d: Option<Duration>| d.map(|d| d.as_millis().min(u64::MAX as u128) as u64);
        let mut v = serde_json::json!({
            "v": 1,
            "vendor": vendor,
            "access": self.access.as_str(),
            "refresh": self.refresh.as_ref().map(|r| r.as_str()),
            "obtained_ms": unix_ms(self.obtained),
            "access_life_ms": opt_ms(self.access_life),
            "refresh_life_ms": opt_ms(self.refresh_life),
            "access_expires_ms": self.access_expires.map(unix_ms),
            "refresh_expires_ms": self.refresh_expires.map(unix_ms),
        });
        let check = v.as_object().map(check_of).unwrap_or_default();
        v["check"] = check.into();
        let out = Zeroizing::new(v.to_string().into_bytes());
        // The Value held the tokens too; scrub its strings before it drops.
        if let Some(o) = v.as_object_mut() {
            for k in ["access", "refresh"] {
                if let Some(serde_json::Value::String(s)) = o.get_mut(k) {
                    zeroize::Zeroize::zeroize(s);
                }
            }
        }
        out
    }

    /// Parse a record; `None` when it is not one of ours, from another vendor, or corrupt.
    pub fn decode(bytes: &[u8], vendor: &str) -> Option<Record> {
        if bytes.len() > MAX_RECORD {
            return None;
        }
        let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let o = v.as_object_mut()?;
        let check = o.remove("check")?;
        let ok = check.as_str() == Some(check_of(o).as_str());
        let take_str =
            |o: &mut serde_json::Map<String, serde_json::Value>, k: &str| match o.remove(k) {
                Some(serde_json::Value::String(s)) => Some(Zeroizing::new(s)),
                _ => None,
            };
        let access = take_str(o, "access");
        let refresh = take_str(o, "refresh");
        if !ok || o.get("v")?.as_u64()? != 1 || o.get("vendor")?.as_str()? != vendor {
            return None;
        }
        let access = access?;
        let ms = |k: &str| o.get(k).and_then(|x| x.as_u64());
        let rec = Record {
            access,
            refresh,
            obtained: from_unix_ms(ms("obtained_ms")?),
            access_life: ms("access_life_ms").map(Duration::from_millis),
            refresh_life: ms("refresh_life_ms").map(Duration::from_millis),
            access_expires: ms("access_expires_ms").map(from_unix_ms),
            refresh_expires: ms("refresh_expires_ms").map(from_unix_ms),
        };
        // Tokens must be able to travel in a header, as when the server gave them.
        crate::token::check_token("store", "access token", &rec.access).ok()?;
        if let Some(r) = &rec.refresh {
            crate::token::check_token("store", "refresh token", r).ok()?;
        }
        Some(rec)
    }

    /// The monotonic instant the pair was obtained, by `clock` (never in the future).
    pub fn obtained_instant(&self, clock: &dyn Clock) -> Instant {
        let age = clock
            .wall()
            .duration_since(self.obtained)
            .unwrap_or(Duration::ZERO);
        let now = clock.now();
        now.checked_sub(age).unwrap_or(now)
    }
}

/// The token store of one client: the store and the client's identity in it.
#[derive(Clone)]
pub struct Slot {
    store: Arc<dyn TokenStore>,
    key: String,
    vendor: &'static str,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slot({} store, {})", self.store.kind(), self.key)
    }
}

impl Slot {
    pub fn new(store: Arc<dyn TokenStore>, vendor: &'static str, key: String) -> Slot {
        Slot { store, key, vendor }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The stored pair, if there is a good one. A store failure or a corrupt record is
    /// logged and read as "none".
    pub fn load(&self, tel: &Telemetry, target: &str) -> Option<Record> {
        Stats::inc(&tel.stats.store_loads);
        match self.store.load(&self.key) {
            Ok(None) => None,
            Ok(Some(bytes)) => {
                let rec = Record::decode(&bytes, self.vendor);
                if rec.is_none() {
                    Stats::inc(&tel.stats.store_errors);
                    crate::log!(
                        tel,
                        Level::Warn,
                        target,
                        events::STORE,
                        "the {} token store's record for {} is unreadable (torn, corrupt or \
                         foreign): ignored, it will be replaced",
                        self.store.kind(),
                        self.key
                    );
                }
                rec
            }
            Err(e) => {
                Stats::inc(&tel.stats.store_errors);
                crate::log!(
                    tel,
                    Level::Warn,
                    target,
                    events::STORE,
                    "reading the {} token store failed: {}",
                    self.store.kind(),
                    e.message()
                );
                None
            }
        }
    }

    /// Save a pair; a failure is logged (the client goes on with the pair in memory) and
    /// returns false.
    pub fn save(&self, rec: &Record, tel: &Telemetry, target: &str) -> bool {
        let bytes = rec.encode(self.vendor);
        match self.store.save(&self.key, &bytes) {
            Ok(()) => {
                Stats::inc(&tel.stats.store_saves);
                true
            }
            Err(e) => {
                Stats::inc(&tel.stats.store_errors);
                crate::log!(
                    tel,
                    Level::Warn,
                    target,
                    events::STORE,
                    "saving to the {} token store failed: {}",
                    self.store.kind(),
                    e.message()
                );
                false
            }
        }
    }

    /// Take the cross-process lock, waiting no longer than `deadline`.
    /// `Ok(Some(lock))`: held; `Ok(None)`: the store failed (logged): go on unlocked;
    /// `Err`: the deadline ran out while another process held it.
    pub fn lock(
        &self,
        clock: &dyn Clock,
        deadline: Instant,
        tel: &Telemetry,
        target: &str,
    ) -> Result<Option<Box<dyn StoreLock>>> {
        let left = clock.remaining(deadline);
        if left.is_zero() {
            return Err(deadline_error("before taking the token store's lock"));
        }
        // The lease: this call's deadline bounds how long we hold it (plus a little for the
        // save after the exchange).
        let lease = left + Duration::from_secs(1);
        match self.store.lock(&self.key, left, lease) {
            Ok(Some(l)) => Ok(Some(l)),
            Ok(None) => Err(deadline_error(
                "waiting for the token store's lock (another process is renewing)",
            )),
            Err(e) => {
                Stats::inc(&tel.stats.store_errors);
                crate::log!(
                    tel,
                    Level::Warn,
                    target,
                    events::STORE,
                    "the {} token store's lock failed ({}); renewing without it",
                    self.store.kind(),
                    e.message()
                );
                Ok(None)
            }
        }
    }
}

/// What the `token_store` configuration key asks for.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum StoreSpec {
    /// Tokens live in the client only (the default).
    #[default]
    Memory,
    /// A [`FileStore`] in this directory.
    File(PathBuf),
}

impl StoreSpec {
    /// Open the store (`None` for memory).
    pub fn open(&self) -> Result<Option<Arc<dyn TokenStore>>> {
        match self {
            StoreSpec::Memory => Ok(None),
            StoreSpec::File(dir) => Ok(Some(Arc::new(FileStore::open(dir)?))),
        }
    }
}

/// Records as files, one per identity, in a directory only the current user can enter:
/// `<dir>/<identity>.json` (mode 0600, replaced atomically by rename) and a lock file
/// `<dir>/<identity>.lock` locked with `flock` (released by the kernel when the holder exits,
/// however it exits).
pub struct FileStore {
    dir: PathBuf,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileStore({})", self.dir.display())
    }
}

struct FileLock(#[allow(dead_code)] std::fs::File);
impl StoreLock for FileLock {}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("token store: {what} {}: {e}", path.display()),
    )
}

impl FileStore {
    /// Use `dir`, creating it (mode 0700) if missing. An existing directory must belong to
    /// this user and be closed to everyone else (mode 0700 or stricter).
    pub fn open(dir: &Path) -> Result<FileStore> {
        let cfg = |m: String| Error::new(ErrorKind::Config, format!("token_store: {m}"));
        if !dir.is_absolute() {
            return Err(cfg("path must be an absolute directory path".into()));
        }
        match std::fs::symlink_metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| io_err("cannot create", dir, e))?;
            }
            Err(e) => return Err(io_err("cannot inspect", dir, e)),
            Ok(_) => {}
        }
        let md = std::fs::symlink_metadata(dir).map_err(|e| io_err("cannot inspect", dir, e))?;
        if !md.is_dir() {
            return Err(cfg(format!("{} is not a directory", dir.display())));
        }
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        if md.uid() != uid {
            return Err(cfg(format!(
                "{} belongs to uid {}, not to this process's uid {uid}",
                dir.display(),
                md.uid()
            )));
        }
        if md.mode() & 0o077 != 0 {
            return Err(cfg(format!(
                "{} is mode {:o}; the tokens in it need 0700 (chmod 700 it)",
                dir.display(),
                md.mode() & 0o7777
            )));
        }
        Ok(FileStore {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &str, ext: &str) -> Result<PathBuf> {
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::invalid_arg("token store: invalid key"));
        }
        Ok(self.dir.join(format!("{key}.{ext}")))
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let path = self.path(key, "json")?;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path);
        let mut f = match f {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("cannot open", &path, e)),
            Ok(f) => f,
        };
        let md = f
            .metadata()
            .map_err(|e| io_err("cannot inspect", &path, e))?;
        if !md.is_file() || md.len() > MAX_RECORD as u64 {
            return Ok(Some(Zeroizing::new(Vec::new()))); // unreadable as a record
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(md.len() as usize));
        Read::by_ref(&mut f)
            .take(MAX_RECORD as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| io_err("cannot read", &path, e))?;
        Ok(Some(buf))
    }

    fn save(&self, key: &str, record: &[u8]) -> Result<()> {
        let path = self.path(key, "json")?;
        let tmp = self.dir.join(format!(
            ".{key}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&tmp)?;
            f.write_all(record)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            // The rename itself reaches the disk with the directory.
            if let Ok(d) = std::fs::File::open(&self.dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_err("cannot write", &path, e)
        })
    }

    fn lock(
        &self,
        key: &str,
        timeout: Duration,
        _lease: Duration,
    ) -> Result<Option<Box<dyn StoreLock>>> {
        use std::os::fd::AsRawFd;
        let path = self.path(key, "lock")?;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| io_err("cannot open the lock", &path, e))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            // SAFETY: a valid open descriptor; flock has no memory effects.
            let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc == 0 {
                return Ok(Some(Box::new(FileLock(f))));
            }
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EWOULDBLOCK) | Some(libc::EINTR) => {}
                _ => return Err(io_err("cannot lock", &path, e)),
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Ok(None);
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Record {
        Record {
            access: Zeroizing::new("acc-1".into()),
            refresh: Some(Zeroizing::new("ref-1".into())),
            obtained: from_unix_ms(1_700_000_000_000),
            access_life: Some(Duration::from_secs(300)),
            refresh_life: None,
            access_expires: Some(from_unix_ms(1_700_000_300_000)),
            refresh_expires: None,
        }
    }

    #[test]
    fn records_round_trip_and_corruption_is_detected() {
        let bytes = rec().encode("b2copy");
        let back = Record::decode(&bytes, "b2copy").unwrap();
        assert_eq!(back.access.as_str(), "acc-1");
        assert_eq!(back.refresh.as_deref().map(|s| s.as_str()), Some("ref-1"));
        assert_eq!(back.access_life, Some(Duration::from_secs(300)));
        assert_eq!(back.refresh_life, None);
        assert!(
            Record::decode(&bytes, "b2binpay").is_none(),
            "another vendor's"
        );
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let tampered = text.replace("acc-1", "acc-2");
        assert!(Record::decode(tampered.as_bytes(), "b2copy").is_none());
        for cut in [0, 1, text.len() / 2, text.len() - 1] {
            assert!(
                Record::decode(&text.as_bytes()[..cut], "b2copy").is_none(),
                "torn at {cut}"
            );
        }
        assert!(Record::decode(b"\x00\xff garbage", "b2copy").is_none());
        assert!(
            format!("{:?}", rec()).find("acc-1").is_none(),
            "no token in Debug"
        );
    }

    #[test]
    fn identities_hide_their_parts() {
        let a = identity("b2copy", &["https://h", "42", "kid"]);
        assert!(a.starts_with("b2copy-") && a.len() == 7 + 40, "{a}");
        assert_ne!(a, identity("b2copy", &["https://h", "4", "2kid"]));
        assert!(!a.contains("kid"));
    }

    #[test]
    fn the_file_store_saves_atomically_and_locks() {
        let dir = std::env::temp_dir().join(format!("b2c-store-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = FileStore::open(&dir).unwrap();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().mode() & 0o777,
            0o700,
            "created 0700"
        );
        assert!(s.load("k1").unwrap().is_none());
        s.save("k1", b"one").unwrap();
        s.save("k1", b"two").unwrap();
        assert_eq!(s.load("k1").unwrap().unwrap().as_slice(), b"two");
        assert_eq!(
            std::fs::metadata(dir.join("k1.json")).unwrap().mode() & 0o777,
            0o600
        );
        assert!(s.load("../etc").is_err(), "keys are names, not paths");
        let l = s
            .lock("k1", Duration::from_millis(50), Duration::from_secs(1))
            .unwrap();
        assert!(l.is_some());
        // A second descriptor (another client, another process) waits and gives up.
        let other = FileStore::open(&dir).unwrap();
        assert!(other
            .lock("k1", Duration::from_millis(30), Duration::from_secs(1))
            .unwrap()
            .is_none());
        drop(l);
        assert!(other
            .lock("k1", Duration::from_millis(30), Duration::from_secs(1))
            .unwrap()
            .is_some());
        // A directory others can read is refused.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let e = FileStore::open(&dir).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("0700"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            FileStore::open(Path::new("relative/dir"))
                .unwrap_err()
                .kind(),
            ErrorKind::Config
        );
    }
}
