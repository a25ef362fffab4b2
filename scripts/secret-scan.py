#!/usr/bin/env python3
"""The secret scan: search everything the test suites produced for a secret.

    scripts/secret-scan.py DIR        scan every file under DIR (scripts/test-all.sh passes
                                      build/logs: each suite's stdout and stderr, and the
                                      error messages and log events the suites recorded
                                      through $B2C_SCAN_DIR)
    scripts/secret-scan.py --self-test  plant one secret of each kind and check each is found

What counts as a secret:
  - the credentials the suites use (the sandbox's password and API keys, the test suites'
    passwords, module secrets and proxy credentials), listed in LITERALS below;
  - the body of every private key among the test fixtures (tests/fixtures/keys);
  - whatever has the shape of one: a signed JWT, a token the sandbox issues
    (sbx_access_..., b2b-refresh-...), a PEM private key, an Authorization header value,
    URL userinfo with a password (scheme://user:password@host).

A hit prints the file, the line number and the kind, with the value masked, and the scan
fails. An empty DIR fails too: a scan that saw nothing proves nothing.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Credentials the suites configure (distinctive values only: "secret" or "password" as a
# value would also match the words in messages that name a missing secret).
LITERALS = [
    "sandbox-password",
    "sandbox-api-key",
    "module-secret",
    "mod-secret",
    "other-secret",
    "another-secret",
    "secret-token",
    "wrong-password",
    "s3cret",  # pr0xy-s3cret, socks-s3cret, s3cret-api-key, wr0ng-s3cret
    "webhook-or-api-key-0123456789abcdef",
    "retail-api-key-abc",
    "crm-api-key-789",
    "b2b-password-456",
]

SHAPES = [
    ("JWT", re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}")),
    ("sandbox token", re.compile(r"sbx_(?:access|refresh)_[0-9a-f]{16,}")),
    ("B2BINPAY token", re.compile(r"b2b-(?:access|refresh)-\d+-[0-9a-f]{16}")),
    # A header followed by key material (a message naming the expected header is fine).
    (
        "PEM private key",
        re.compile(r"-----BEGIN (?:EC |ENCRYPTED |RSA )?PRIVATE KEY-----(?:\\n|\s)*[A-Za-z0-9+/]{16,}"),
    ),
    ("Authorization value", re.compile(r"\b(?:Bearer|Basic) [A-Za-z0-9+/._~-]{12,}=*")),
    (
        "URL userinfo",
        re.compile(r"\b[a-z][a-z0-9+.-]*://(?!<redacted>)[^\s/@:'\"<>]+:(?!<redacted>)[^\s/@'\"<>]+@"),
    ),
]


def fixture_key_bodies() -> list[str]:
    """Base64 lines (40+ characters) of the private keys in tests/fixtures/keys."""
    out = []
    for pem in sorted((REPO / "tests" / "fixtures" / "keys").glob("*.pem")):
        text = pem.read_text(errors="replace")
        if "PRIVATE KEY" not in text:
            continue
        for line in text.splitlines():
            line = line.strip()
            if len(line) >= 40 and not line.startswith("-----"):
                out.append(line)
    return out


def mask(value: str) -> str:
    return value[:4] + "…(" + str(len(value)) + " chars)"


def scan_text(text: str, literals: list[str]) -> list[tuple[int, str, str]]:
    hits = []
    for n, line in enumerate(text.splitlines(), 1):
        for lit in literals:
            if lit in line:
                hits.append((n, "credential", mask(lit)))
        for kind, rx in SHAPES:
            for m in rx.finditer(line):
                hits.append((n, kind, mask(m.group(0))))
    return hits


def scan_dir(root: Path) -> int:
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    if not files:
        print(f"secret scan: nothing to scan under {root}")
        return 1
    literals = LITERALS + fixture_key_bodies()
    total_bytes = total_lines = 0
    found = 0
    for f in files:
        text = f.read_bytes().decode("utf-8", errors="replace")
        total_bytes += len(text)
        total_lines += text.count("\n")
        for n, kind, shown in scan_text(text, literals):
            found += 1
            if found <= 50:
                print(f"SECRET {f.relative_to(root)}:{n}: {kind} {shown}")
    print(
        f"secret scan: {len(files)} files, {total_lines} lines, {total_bytes} bytes; "
        f"{len(literals)} known secrets and {len(SHAPES)} shapes; {found} found"
    )
    print(f"{1 if found == 0 else 0} passed, {1 if found else 0} failed")
    return 1 if found else 0


def self_test() -> int:
    planted = {
        "credential": "login failed for sandbox-password",
        "JWT": "token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "sandbox token": "got sbx_access_0123456789abcdef0123",
        "B2BINPAY token": "got b2b-refresh-3-0123456789abcdef",
        "PEM private key": "key: -----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49",
        "Authorization value": "Authorization: Bearer abcdefghijklmnop",
        "URL userinfo": "connect https://user:pw@host.example/x failed",
    }
    clean = [
        "connect https://<redacted>@host.example/x failed",
        "the webhook secret is empty",
        "password: <redacted>",
        "Bearer <redacted>",
        "no PEM private key found (expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)",
    ]
    literals = LITERALS + fixture_key_bodies()
    failed = 0
    for kind, line in planted.items():
        kinds = {k for _, k, _ in scan_text(line, literals)}
        if kind not in kinds:
            print(f"self-test FAIL: {kind} not found in {line!r}")
            failed += 1
    for line in clean:
        if scan_text(line, literals):
            print(f"self-test FAIL: false positive on {line!r}")
            failed += 1
    if not fixture_key_bodies():
        print("self-test FAIL: no private key bodies read from tests/fixtures/keys")
        failed += 1
    # The scans below must fail; their own report (with its "0 passed, 1 failed" line) is
    # kept out of this output, where a runner counting such lines would take it as a failure.
    with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()):
        empty_passed = scan_dir(Path(d)) == 0
        (Path(d) / "x.log").write_text(planted["JWT"] + "\n")
        planted_passed = scan_dir(Path(d)) == 0
    if empty_passed:
        print("self-test FAIL: an empty directory passed")
        failed += 1
    if planted_passed:
        print("self-test FAIL: a planted JWT passed")
        failed += 1
    passed = len(planted) + len(clean) + 3 - failed
    print(f"secret-scan self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main() -> int:
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    return scan_dir(Path(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
