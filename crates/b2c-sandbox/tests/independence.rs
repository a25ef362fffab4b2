//! The sandbox is the independent check of the client library: it must never depend on it
//! (a wrong field name or signature layout would then be mirrored on both sides and every
//! test would pass). These tests read the manifest, the lock file and the sources.

use std::path::{Path, PathBuf};

/// The client library's package and crate names, assembled at run time so that this file
/// does not itself contain them.
fn client_names() -> [String; 2] {
    [["b2c", "-core"].concat(), ["b2c", "_core"].concat()]
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// TOML text without `#` comments (a `#` inside a quoted string is kept).
fn strip_toml_comments(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut in_str = false;
            let mut out = String::new();
            for c in line.chars() {
                match c {
                    '"' => in_str = !in_str,
                    '#' if !in_str => break,
                    _ => {}
                }
                out.push(c);
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn manifest_does_not_depend_on_the_client_library() {
    let manifest = std::fs::read_to_string(crate_dir().join("Cargo.toml")).unwrap();
    let text = strip_toml_comments(&manifest);
    for name in client_names() {
        assert!(
            !text.contains(&name),
            "crates/b2c-sandbox/Cargo.toml refers to {name}: the sandbox must not depend on the client library"
        );
    }
    // The check itself sees a dependency written the usual ways.
    for bad in [
        format!("[dependencies]\n{}.workspace = true\n", client_names()[0]),
        format!(
            "[dev-dependencies]\ncore = {{ package = \"{}\", path = \"../x\" }}\n",
            client_names()[0]
        ),
    ] {
        assert!(strip_toml_comments(&bad).contains(&client_names()[0]));
    }
    assert!(!strip_toml_comments("# b2c-core was here\n").contains("b2c"));
}

#[test]
fn lock_file_gives_the_sandbox_no_client_dependency() {
    let lock = crate_dir().join("../../Cargo.lock");
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return; // a packaged crate has no workspace lock file
    };
    let block = text
        .split("[[package]]")
        .find(|b| b.contains("name = \"b2c-sandbox\""))
        .expect("b2c-sandbox in Cargo.lock");
    for name in client_names() {
        assert!(
            !block.contains(&format!("\"{name}\"")),
            "Cargo.lock lists {name} among b2c-sandbox's dependencies"
        );
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn sources_do_not_use_the_client_library() {
    let mut files = Vec::new();
    rust_files(&crate_dir().join("src"), &mut files);
    rust_files(&crate_dir().join("tests"), &mut files);
    assert!(files.len() > 5, "{files:?}");
    let ident = &client_names()[1];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains(ident.as_str()),
                "{}:{}: uses {ident}",
                f.display(),
                i + 1
            );
        }
    }
}
