#!/usr/bin/env bash
# Runs the cargo-fuzz targets for N seconds each (default 20: the brief CI run;
# run longer by hand, e.g. `bash scripts/fuzz.sh 600`). Installs cargo-fuzz from
# crates.io when missing. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets
# the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH="${1:-20}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
# New inputs go to a scratch corpus; the committed seeds are only read.
WORK_CORPUS="$(mktemp -d)"
trap 'rm -rf "$WORK_CORPUS"' EXIT
for target in error_body responses; do
  mkdir -p "$WORK_CORPUS/$target"
  echo "fuzzing $target for ${SECONDS_EACH}s"
  # A crash makes cargo fuzz exit non-zero (and this script with it).
  cargo fuzz run "$target" "$WORK_CORPUS/$target" "seeds/$target" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 2>&1 | tail -n 3
done
