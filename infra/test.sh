#!/usr/bin/env bash
# Runs every test of enrolshop, installing first what a fresh machine lacks:
# moto[server] (DynamoDB + SQS protocols, for the store conformance and HTTP tests) and
# cfn-lint (template check), both from PyPI; rustfmt and clippy through rustup; Debian's
# Chromium and playwright-core (npm) for the browser tests; cargo-lambda (PyPI) for the arm64
# Lambda builds.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "installing what is missing"
python3 -c 'import moto.server, flask' 2>/dev/null || python3 -m pip install --quiet 'moto[server]'
python3 -c 'import cfnlint.runner' 2>/dev/null || python3 -m pip install --quiet cfn-lint
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
if [ ! -x /usr/bin/chromium ]; then
  as_root=""; [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
fi
(cd web/tests && npm ci --no-audit --no-fund --silent)

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "SAM template"
# Through python3, so that a fresh pip install works without a PATH or pyenv shim refresh.
python3 -c 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())' template.yaml

step "tests: unit, store conformance (embedded + DynamoDB on moto), HTTP, Lambda events and binaries, shopctl"
# The functions' binaries too: the runtime-API tests run them as Lambda runs their bootstrap.
cargo build --workspace --bins --locked
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"

step "Lambda packages: every function built with cargo-lambda for arm64 (as sam build does)"
bash infra/lambda-build.sh

step "browser tests: the pages in Chromium against shopctl serve (screenshots in web/tests/artifacts)"
(cd web/tests && npm test) 2>&1 | tee -a "$log"
# One closing line for the whole run (cargo prints one per test binary; node:test `# pass`).
awk '/^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
  END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
