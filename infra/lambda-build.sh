#!/usr/bin/env bash
# Builds every function for Lambda as `sam build` does (cargo-lambda, release, arm64), checks
# that each `bootstrap` is an arm64 executable, and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import shutil, sys; sys.exit(0 if shutil.which("cargo-lambda") else 1)' \
  || python3 -m pip install --quiet cargo-lambda
functions=(storefront checkout payment-notify production backoffice account)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
cargo lambda build --release --arm64 --locked "${packages[@]}"
target="${CARGO_TARGET_DIR:-target}"
# The size budget of a package (MB): a function that grows past it fails the build. Today's
# packages are 5.7-7.0 MB (README "Package sizes").
budget="${LAMBDA_SIZE_BUDGET_MB:-8.0}"
for f in "${functions[@]}"; do
  python3 - "$target/lambda/$f/bootstrap" "$budget" <<'PY'
import os, struct, sys
path, budget = sys.argv[1], float(sys.argv[2])
with open(path, "rb") as b:
    head = b.read(20)
machine = struct.unpack_from("<H", head, 18)[0]
if head[:4] != b"\x7fELF" or machine != 183:
    sys.exit(f"{path}: not an arm64 ELF executable")
size = os.path.getsize(path) / 1e6
print(f"{path.split('/')[-2]:<16} {size:5.1f} MB  arm64 bootstrap")
if size > budget:
    sys.exit(f"{path}: {size:.1f} MB is over the {budget} MB budget (LAMBDA_SIZE_BUDGET_MB)")
PY
done
