//! Generates include/b2c.h (at the repository root) from this crate's src with cbindgen. The header is committed; CI
//! regenerates it and fails if `git diff --exit-code include/` shows drift.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    // The SONAME names ABI compatibility, not the release (README, "SONAME policy"):
    // libb2c.so.MAJOR from 1.0 on, libb2c.so.0.MINOR before 1.0 (where a minor release may
    // break the ABI). A patch release never changes it.
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let soname = if major == "0" {
        format!("libb2c.so.0.{minor}")
    } else {
        format!("libb2c.so.{major}")
    };
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            // A syntax error elsewhere in the crate is reported by rustc; don't mask it.
            println!("cargo:warning=cbindgen failed: {e}");
            return;
        }
    };
    // The header lives at the repository root (include/b2c.h), two levels up.
    let out = crate_dir.join("../../include/b2c.h");
    let mut buf = Vec::new();
    bindings.write(&mut buf);
    if std::fs::read(&out).ok().as_deref() != Some(&buf[..]) {
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(&out, &buf).expect("write include/b2c.h");
    }
}
