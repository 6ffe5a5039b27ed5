#!/usr/bin/env bash
# Runs the cargo-fuzz targets for N seconds each (default 20: the brief CI run;
# run longer by hand, e.g. `bash scripts/fuzz.sh 600`). cargo-fuzz, at a pinned
# version, is installed from crates.io into this checkout's target/tools (not
# ~/.cargo), so a fresh clone gets the same tool and nothing outside the clone
# is needed or left behind. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP
# lets the stable toolchain accept them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_EACH="${1:-20}"
CARGO_FUZZ_VERSION=0.13.2
TOOLS="$ROOT/target/tools"
CARGO_FUZZ="$TOOLS/bin/cargo-fuzz"
if [ "$("$CARGO_FUZZ" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into target/tools"
  cargo install --locked --quiet --force --root "$TOOLS" --version "$CARGO_FUZZ_VERSION" cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
cd "$ROOT/fuzz"
# New inputs go to a scratch corpus; the committed seeds are only read.
WORK_CORPUS="$(mktemp -d)"
trap 'rm -rf "$WORK_CORPUS"' EXIT
for target in error_body responses; do
  mkdir -p "$WORK_CORPUS/$target"
  echo "fuzzing $target for ${SECONDS_EACH}s"
  # Called as cargo calls a subcommand, so no other cargo-fuzz on PATH is
  # picked. A crash or a build error makes cargo fuzz exit non-zero, and this
  # script with it, showing enough of the output to say why.
  if "$CARGO_FUZZ" fuzz run "$target" "$WORK_CORPUS/$target" "seeds/$target" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 >"$WORK_CORPUS/$target.log" 2>&1; then
    tail -n 3 "$WORK_CORPUS/$target.log"
  else
    status=$?
    grep -v '^ *\(Compiling\|Downloaded\|Downloading\) ' "$WORK_CORPUS/$target.log" | tail -n 60
    echo "cargo fuzz run $target failed (exit $status)"
    exit "$status"
  fi
done
