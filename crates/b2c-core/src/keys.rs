//! P-256 keys: generation, PEM loading (PKCS#8 and SEC1), public-key derivation.
//!
//! The structure is classified with the pure-Rust `pkcs8`/`sec1` decoders (precise reasons
//! for a rejected key: type, curve, encryption), then the DER is handed to AWS-LC once
//! (`EcdsaKeyPair`: fast ES256, and AWS-LC cleanses key memory when it frees it). No
//! public-key derivation happens in Rust and the key is parsed into a signing key only once.
//! Every intermediate copy we make (PEM text, DER bytes) is zeroized on drop.
//!
//! Key files are read defensively: a FIFO or device is refused without blocking (the file is
//! opened non-blocking and must be a regular file), and at most [`MAX_PEM_BYTES`] are read.

use std::fmt;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine as _;
use pkcs8::der::Decode;
use pkcs8::ObjectIdentifier;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// DER of a P-256 SubjectPublicKeyInfo up to the 65-byte uncompressed point.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// DER of the prime-field OID 1.2.840.10045.1.1: present in explicit curve parameters.
const DER_OID_PRIME_FIELD: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x01, 0x01];

/// Largest PEM accepted (a P-256 key PEM is about 250 bytes).
pub const MAX_PEM_BYTES: usize = 64 * 1024;

fn not_p256() -> Error {
    key_err(
        ErrorKind::KeyUnsupportedCurve,
        "EC key is not on curve P-256 (prime256v1); ES256 needs P-256",
    )
}

/// An ES256 (P-256) private key, ready to sign.
///
/// Safe to share between threads. `Debug` never prints key material.
pub struct PrivateKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(P-256, <redacted>)")
    }
}

fn key_err(kind: ErrorKind, msg: &str) -> Error {
    Error::new(kind, msg.to_string())
}

/// One PEM block: its label and decoded DER (zeroized on drop).
struct PemBlock {
    label: String,
    encrypted_header: bool,
    der: Zeroizing<Vec<u8>>,
}

/// Scan PEM text for BEGIN/END blocks. Tolerates CRLF, leading text, and RFC 1421 headers
/// (only to report legacy encryption).
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut b64 = Zeroizing::new(String::new());
        let mut encrypted_header = false;
        let mut closed = false;
        for l in lines.by_ref() {
            if l == end {
                closed = true;
                break;
            }
            if l.contains(':') {
                if l.starts_with("Proc-Type:") && l.contains("ENCRYPTED") {
                    encrypted_header = true;
                }
                continue;
            }
            b64.push_str(l);
        }
        if !closed {
            return Err(key_err(
                ErrorKind::KeyInvalid,
                "PEM block is not terminated by its END line",
            ));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| key_err(ErrorKind::KeyInvalid, "PEM body is not valid base64"))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            encrypted_header,
            der: Zeroizing::new(der),
        });
    }
    Ok(blocks)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl PrivateKey {
    /// Generate a fresh P-256 key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::new(ErrorKind::KeyInvalid, "key generation failed"))?;
        Ok(PrivateKey { pair, rng })
    }

    /// Load a PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) PEM.
    ///
    /// Distinct errors: [`ErrorKind::KeyEncrypted`], [`ErrorKind::KeyUnsupportedType`] (RSA,
    /// Ed25519, ...), [`ErrorKind::KeyUnsupportedCurve`] (P-384, secp256k1, ...) and
    /// [`ErrorKind::KeyInvalid`] for anything else.
    pub fn from_pem(pem: &str) -> Result<Self> {
        if pem.len() > MAX_PEM_BYTES {
            return Err(key_err(
                ErrorKind::KeyInvalid,
                "the PEM is larger than 64 KiB: not a private key",
            ));
        }
        let blocks = pem_blocks(pem)?;
        let mut outer_curve = None;
        if blocks.is_empty() {
            return Err(key_err(
                ErrorKind::KeyInvalid,
                "no PEM private key found (expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)",
            ));
        }
        for block in &blocks {
            match block.label.as_str() {
                "EC PARAMETERS" => {
                    outer_curve = ObjectIdentifier::from_der(&block.der).ok();
                    continue;
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(key_err(
                        ErrorKind::KeyEncrypted,
                        "the private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)",
                    ))
                }
                "RSA PRIVATE KEY" => {
                    return Err(key_err(
                        ErrorKind::KeyUnsupportedType,
                        "RSA keys are not supported; B2COPY needs an EC P-256 key (ES256)",
                    ))
                }
                "PRIVATE KEY" => return Self::from_pkcs8_der(&block.der),
                "EC PRIVATE KEY" => {
                    if block.encrypted_header {
                        return Err(key_err(
                            ErrorKind::KeyEncrypted,
                            "the EC private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)",
                        ));
                    }
                    return Self::from_sec1_der(&block.der, outer_curve);
                }
                "PUBLIC KEY" | "EC PUBLIC KEY" => {
                    return Err(key_err(
                        ErrorKind::KeyInvalid,
                        "this is a public key; the private key is needed to sign",
                    ))
                }
                _ => {
                    return Err(key_err(
                        ErrorKind::KeyInvalid,
                        "unrecognised PEM block; expected a PKCS#8 or SEC1 private key",
                    ))
                }
            }
        }
        Err(key_err(
            ErrorKind::KeyInvalid,
            "the PEM holds EC parameters but no private key",
        ))
    }

    /// Read and load a PEM file. The file must be a regular file of at most
    /// [`MAX_PEM_BYTES`] (a FIFO, a device or `/dev/zero` is refused at once, never read);
    /// its text is zeroized after parsing.
    pub fn from_pem_file(path: &Path) -> Result<Self> {
        use std::io::Read;
        let shown = path.display();
        let io = |e: std::io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read private key file {shown}: {e}"),
            )
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK does not.
            opts.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
        }
        let file = opts.open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("private key file {shown} is not a regular file"),
            ));
        }
        let too_big = || {
            key_err(
                ErrorKind::KeyInvalid,
                "the private key file is larger than 64 KiB: not a PEM private key",
            )
        };
        if meta.len() > MAX_PEM_BYTES as u64 {
            return Err(too_big());
        }
        let mut text = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
        file.take(MAX_PEM_BYTES as u64 + 1)
            .read_to_end(&mut text)
            .map_err(io)?;
        if text.len() > MAX_PEM_BYTES {
            return Err(too_big());
        }
        let s = std::str::from_utf8(&text)
            .map_err(|_| key_err(ErrorKind::KeyInvalid, "private key file is not UTF-8 PEM"))?;
        Self::from_pem(s)
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfo::try_from(der)
            .map_err(|_| key_err(ErrorKind::KeyInvalid, "malformed PKCS#8 private key"))?;
        let oid = info.algorithm.oid;
        if oid == OID_RSA {
            return Err(key_err(
                ErrorKind::KeyUnsupportedType,
                "RSA keys are not supported; B2COPY needs an EC P-256 key (ES256)",
            ));
        }
        if oid == OID_ED25519 {
            return Err(key_err(
                ErrorKind::KeyUnsupportedType,
                "Ed25519 keys are not supported; B2COPY needs an EC P-256 key (ES256)",
            ));
        }
        if oid != OID_EC_PUBLIC_KEY {
            return Err(key_err(
                ErrorKind::KeyUnsupportedType,
                "unsupported key algorithm; B2COPY needs an EC P-256 key (ES256)",
            ));
        }
        match info.algorithm.parameters_oid() {
            Ok(c) if c == OID_P256 => {}
            _ => return Err(not_p256()),
        }
        // The inner ECPrivateKey must agree (or say nothing).
        if let Ok(inner) = sec1::EcPrivateKey::try_from(info.private_key) {
            if inner
                .parameters
                .is_some_and(|p| p.named_curve() != Some(OID_P256))
            {
                return Err(not_p256());
            }
        }
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| key_err(ErrorKind::KeyInvalid, "invalid P-256 private key"))?;
        Ok(PrivateKey {
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// A SEC1 `ECPrivateKey`. `outer_curve` is the curve of a preceding `EC PARAMETERS`
    /// block, if any; a key that names no curve at all is refused (a 32-byte scalar could
    /// belong to any 256-bit curve).
    fn from_sec1_der(der: &[u8], outer_curve: Option<ObjectIdentifier>) -> Result<Self> {
        let key = match sec1::EcPrivateKey::try_from(der) {
            Ok(k) => k,
            Err(_) if contains(der, DER_OID_PRIME_FIELD) => {
                return Err(key_err(
                    ErrorKind::KeyUnsupportedCurve,
                    "EC key with explicit curve parameters; re-export it with a named curve \
                     (openssl ec -param_enc named_curve) on P-256",
                ))
            }
            Err(_) => {
                return Err(key_err(
                    ErrorKind::KeyInvalid,
                    "malformed SEC1 EC private key",
                ))
            }
        };
        match key.parameters.and_then(|p| p.named_curve()).or(outer_curve) {
            Some(c) if c == OID_P256 => {}
            Some(_) => return Err(not_p256()),
            None => {
                return Err(key_err(
                    ErrorKind::KeyInvalid,
                    "SEC1 EC private key without curve parameters: its curve is unknown; \
                     export it with its named curve (openssl ec -param_out) or as PKCS#8",
                ))
            }
        }
        let pair = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| key_err(ErrorKind::KeyInvalid, "invalid P-256 private key"))?;
        Ok(PrivateKey {
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), zeroized when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        let doc = self
            .pair
            .to_pkcs8v1()
            .map_err(|_| key_err(ErrorKind::KeyInvalid, "cannot export private key"))?;
        Ok(pem_encode("PRIVATE KEY", doc.as_ref()))
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), the form B2COPY support registers.
    pub fn public_key_pem(&self) -> Result<String> {
        let point = self.pair.public_key().as_ref();
        if point.len() != 65 || point[0] != 0x04 {
            return Err(key_err(ErrorKind::KeyInvalid, "invalid public point"));
        }
        // SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } BIT STRING(uncompressed point):
        // for P-256 everything but the point is this fixed prefix (RFC 5480).
        let mut der = Vec::with_capacity(SPKI_P256_PREFIX.len() + 65);
        der.extend_from_slice(&SPKI_P256_PREFIX);
        der.extend_from_slice(point);
        Ok(pem_encode("PUBLIC KEY", &der).to_string())
    }

    /// Sign `msg` with ECDSA P-256 / SHA-256; the 64-byte raw `r‖s` (JOSE) form.
    pub fn sign_es256(&self, msg: &[u8]) -> Result<[u8; 64]> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| Error::new(ErrorKind::KeyInvalid, "ECDSA signing failed"))?;
        let mut out = [0u8; 64];
        out.copy_from_slice(sig.as_ref());
        Ok(out)
    }
}

fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + 80));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}
