#!/usr/bin/env python3
"""The ABI check: the exported symbols of libb2c.so and the declarations of include/b2c.h
against the committed baseline abi/libb2c.abi.

    scripts/abi-check.py [--lib target/release/libb2c.so]          check (CI)
    scripts/abi-check.py --update [--lib ...]                       accept the current ABI

The baseline lists the SONAME and one line per ABI item: every function prototype, every
enumerator (`enum b2c_status B2C_TIMEOUT = 22`), every struct definition, typedef and opaque
type, whitespace-normalised and without comments. The check fails when:

- the library exports a b2c_ symbol the header does not declare, or the header declares a
  function the library does not export (the header and the library disagree);
- the ABI differs from the baseline in any way nobody declared. Declaring it means running
  --update and committing abi/libb2c.abi with the change (and a line in CHANGELOG.md).
  --update refuses a *breaking* change (an item removed or changed) unless the SONAME changed
  too: before 1.0 that is a minor version bump (libb2c.so.0.MINOR), from 1.0 a major one.
  Additions are compatible and keep the SONAME.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "abi" / "libb2c.abi"
HEADER = ROOT / "include" / "b2c.h"


def header_items(text: str) -> set[str]:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    items: set[str] = set()
    # Brace blocks first: enums (one item per enumerator) and structs (one item each).
    pos = 0
    flat = []
    for m in re.finditer(r"(typedef\s+)?(enum|struct)\s*(\w*)\s*\{(.*?)\}\s*(\w*)\s*;", text, flags=re.S):
        flat.append(text[pos : m.start()])
        pos = m.end()
        kind, name, body = m.group(2), m.group(5) or m.group(3), m.group(4)
        if kind == "enum":
            for e in body.split(","):
                e = " ".join(e.split())
                if e:
                    items.add(f"enum {name} {e}")
        else:
            fields = " ".join(" ".join(body.split()).split())
            items.add(f"struct {name} {{ {fields} }}")
    flat.append(text[pos:])
    for decl in " ".join(flat).split(";"):
        decl = " ".join(decl.split())
        if decl:
            decl = re.sub(r"\s*([(),*])\s*", r"\1", decl)
            items.add(decl)
    return items


def function_names(items: set[str]) -> set[str]:
    names = set()
    for it in items:
        if it.startswith(("typedef", "enum ", "struct ")):
            continue
        m = re.search(r"(b2c_\w+)\(", it)
        if m:
            names.add(m.group(1))
    return names


def exported(lib: Path) -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.split()[-2:-1] == ["T"] and line.split()[-1].startswith("b2c_")}


def soname(lib: Path) -> str:
    out = subprocess.run(["readelf", "-d", str(lib)], check=True, capture_output=True, text=True).stdout
    m = re.search(r"Library soname: \[([^\]]+)\]", out)
    return m.group(1) if m else ""


def read_baseline() -> tuple[str, set[str]]:
    if not BASELINE.exists():
        return "", set()
    lines = [l for l in BASELINE.read_text().splitlines() if l and not l.startswith("#")]
    so = lines[0].removeprefix("soname: ") if lines and lines[0].startswith("soname: ") else ""
    return so, {l for l in lines if not l.startswith("soname: ")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", default=str(ROOT / "target" / "release" / "libb2c.so"))
    ap.add_argument("--update", action="store_true", help="accept the current ABI as the baseline")
    args = ap.parse_args()
    lib = Path(args.lib)
    if not lib.is_file():
        print(f"abi-check: {lib} not found; run cargo build --release", file=sys.stderr)
        return 2

    items = header_items(HEADER.read_text())
    declared, symbols = function_names(items), exported(lib)
    so = soname(lib)
    ok = True
    for name in sorted(symbols - declared):
        print(f"abi-check: {name} is exported by the library but not declared in include/b2c.h")
        ok = False
    for name in sorted(declared - symbols):
        print(f"abi-check: {name} is declared in include/b2c.h but not exported by the library")
        ok = False

    base_so, base = read_baseline()
    added, removed = sorted(items - base), sorted(base - items)
    if args.update:
        if not ok:
            return 1
        if removed and so == base_so:
            print(f"abi-check: refusing the update: {len(removed)} item(s) removed or changed while the "
                  f"SONAME stays {so}. A breaking change needs a new SONAME: bump the minor version "
                  "(before 1.0) or the major version.")
            for r in removed:
                print(f"  - {r}")
            return 1
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(
            "# The ABI of libb2c (scripts/abi-check.py --update writes it; CI compares against it).\n"
            f"soname: {so}\n" + "".join(f"{i}\n" for i in sorted(items))
        )
        print(f"abi-check: baseline updated ({len(items)} items, SONAME {so}; +{len(added)} -{len(removed)})")
        return 0

    if base_so != so:
        print(f"abi-check: SONAME {so} differs from the baseline's {base_so or '(none)'}")
        ok = False
    if added or removed:
        ok = False
        kind = "BREAKING (removed or changed)" if removed else "compatible (additions only)"
        print(f"abi-check: the ABI differs from abi/libb2c.abi: {kind}")
        for r in removed:
            print(f"  - {r}")
        for a in added:
            print(f"  + {a}")
        print("If this change is intended, declare it: run scripts/abi-check.py --update, commit "
              "abi/libb2c.abi and note the change in CHANGELOG.md"
              + (" (a breaking change also needs a new SONAME: bump the minor version before 1.0)." if removed else "."))
    if ok:
        print(f"abi-check: ok ({len(symbols)} functions, {len(items)} items, SONAME {so})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
