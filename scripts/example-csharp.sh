#!/usr/bin/env bash
# Builds the C# binding and examples/csharp/Fee.cs into build/csharp and runs it with mono
# (reads the B2C_* environment variables; see examples/csharp/Fee.cs).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/csharp
mcs -nologo -target:library -out:build/csharp/B2c.dll bindings/csharp/src/*.cs
mcs -nologo -out:build/csharp/Fee.exe -r:build/csharp/B2c.dll examples/csharp/Fee.cs
LD_LIBRARY_PATH=$PWD/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec mono build/csharp/Fee.exe
