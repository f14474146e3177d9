#!/usr/bin/env bash
# Runs every test of enrolshop, installing first what a fresh machine lacks:
# moto[server] (DynamoDB + SQS protocols, for the store conformance and HTTP tests) and
# cfn-lint (template check), both from PyPI; rustfmt and clippy through rustup; Debian's
# Chromium and playwright-core (npm) for the browser tests; cargo-lambda (PyPI) for the arm64
# Lambda builds and Debian's qemu-user to start them; aiosmtpd (PyPI), the SMTP server the mail
# tests send to.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "installing what is missing"
python3 -c 'import moto.server, flask' 2>/dev/null || python3 -m pip install --quiet 'moto[server]'
python3 -c 'import cfnlint.runner' 2>/dev/null || python3 -m pip install --quiet cfn-lint
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
# Debian's Chromium for the browser tests; qemu-user and the arm64 C library to start the arm64
# Lambda packages on this machine.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/qemu-aarch64 ] || missing+=(qemu-user)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing+=(libc6-arm64-cross)
if [ ${#missing[@]} -gt 0 ]; then
  as_root=""; [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd web/tests && npm ci --no-audit --no-fund --silent)

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "SAM template"
# Through python3, so that a fresh pip install works without a PATH or pyenv shim refresh.
python3 -c 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())' template.yaml

# A real Moodle for the contract suite, stood up (about 3 minutes from nothing) while the
# workspace's tests run: ../shared/moodle's real-moodle.sh (PHP 8.2 + PostgreSQL from Debian)
# with a placeholder web-service user; the shop's own role, user, service and token then come
# from infra/moodle/enrolshop-setup.php, the script the README gives Moodle admins.
moodle_kit=""
for kit in "${ENROLSHOP_MOODLE_KIT:-}" ../shared/moodle /work/shared/moodle; do
  if [ -n "$kit" ] && [ -f "$kit/real-moodle.sh" ] && compgen -G "$kit/moodle-*.tar.xz" >/dev/null; then
    moodle_kit=$kit; break
  fi
done
real_moodle_dir=${REAL_MOODLE_DIR:-/var/tmp/real-moodle}
moodle_log=$(mktemp)
skip_real_moodle=""
if [ -z "$moodle_kit" ]; then
  skip_real_moodle="no Moodle source and real-moodle.sh found (looked in \$ENROLSHOP_MOODLE_KIT, ../shared/moodle, /work/shared/moodle)"
elif [ "$(id -u)" != 0 ]; then
  skip_real_moodle="standing a Moodle up needs root (apt-get, PostgreSQL's superuser)"
else
  REAL_MOODLE_DIR=$real_moodle_dir MOODLE_CAPS="webservice/rest:use" \
    MOODLE_FUNCTIONS="core_webservice_get_site_info" bash "$moodle_kit/real-moodle.sh" >"$moodle_log" 2>&1 &
  moodle_pid=$!
fi

step "tests: unit, store conformance (embedded + DynamoDB on moto), HTTP, Lambda events and binaries, shopctl"
# The functions' binaries too: the runtime-API tests run them as Lambda runs their bootstrap.
cargo build --workspace --bins --locked
log=$(mktemp)
trap 'rm -f "$log" "$moodle_log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"

step "real Moodle: the contract suite (tests/tests/moodle_contract.rs) against Moodle 5.0.6+"
if [ -n "$skip_real_moodle" ]; then
  echo "real-Moodle contract suite SKIPPED: $skip_real_moodle" | tee -a "$log"
else
  wait "$moodle_pid" || { cat "$moodle_log"; echo "real-moodle.sh failed" >&2; exit 1; }
  grep '^\[setup' "$moodle_log" | tail -3 || true
  setup=$(php infra/moodle/enrolshop-setup.php --moodle="$real_moodle_dir/moodle")
  ENROLSHOP_REAL_MOODLE_URL=$(sed -n 's/^MOODLE_URL=//p' <<<"$setup") \
  ENROLSHOP_REAL_MOODLE_TOKEN=$(sed -n 's/^MOODLE_TOKEN=//p' <<<"$setup") \
  ENROLSHOP_REAL_MOODLE_ROOT="$real_moodle_dir/moodle" ENROLSHOP_REAL_MOODLE_DB=moodle \
    cargo test -p enrolshop-tests --locked --test moodle_contract real_moodle -- --nocapture 2>&1 |
    tee -a "$log"
fi

step "Lambda packages: every function built with cargo-lambda for arm64 (as sam build does)"
bash infra/lambda-build.sh
# Each package started under qemu-user against the local Runtime API (tests/tests/packages.rs).
ENROLSHOP_LAMBDA_PACKAGES="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/lambda" \
  cargo test -p enrolshop-tests --locked --test packages -- --nocapture 2>&1 | tee -a "$log"

step "browser tests: the pages in Chromium against shopctl serve (screenshots in web/tests/artifacts)"
(cd web/tests && npm test) 2>&1 | tee -a "$log"
# One closing line for the whole run (cargo prints one per test binary; node:test `# pass`).
awk '/^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
  END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
