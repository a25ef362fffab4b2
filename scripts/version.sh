#!/usr/bin/env bash
# Prints the crate version from Cargo.toml.
sed -n "/^\[workspace.package\]/,/^\[/s/^version = \"\(.*\)\"/\1/p" "$(dirname "$0")/../Cargo.toml" | head -n 1
