#!/usr/bin/env bash
# Proves that the README's commands work on a fresh machine, not only on the
# one that ran them before: clones the committed state (HEAD, or --rev REV)
# into a temporary folder and runs, with an empty npm cache and a new empty
# HOME (only CARGO_HOME and RUSTUP_HOME still point at the installed Rust
# toolchain), with no stdin:
#   1. npm ci && npm run demo
#   2. npm ci && npm test
#   3. bash .ci/run (CI=true), with another empty npm cache and HOME, as CI
# Each step must exit 0, the test steps must close on
# `jest: N passed, 0 failed, 0 skipped`, and no step may install anything into
# the shared places a fresh machine would not have it in ($CARGO_HOME/bin, the
# global npm folder). Prints each step's time and closing lines. Uncommitted
# changes are not in the clone: commit first.
#
#   bash scripts/fresh-check.sh [--rev REV] [--steps 1,2,3] [--keep-going] [--keep]
#
# --keep-going runs the later steps after a failure; --keep leaves the work
# folder (clone, caches, logs) in place; --steps runs only the steps listed
# (e.g. --steps 3: .ci/run alone, about half the time). Logs are kept after a failure.
# Takes 15-30 minutes on 2 cores (three builds' worth: the addon and the
# emulator, the Rust tests, cargo-fuzz and the fuzz targets).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

REV=HEAD
KEEP=0
KEEP_GOING=0
STEPS=1,2,3
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) REV="${2:?--rev needs a revision}"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --keep-going) KEEP_GOING=1; shift ;;
    --steps) STEPS="${2:?--steps needs a list such as 1,3}"; shift 2 ;;
    *) echo "usage: bash scripts/fresh-check.sh [--rev REV] [--steps 1,2,3] [--keep-going] [--keep]" >&2; exit 2 ;;
  esac
done

SHA="$(git -C "$ROOT" rev-parse --verify --quiet "$REV^{commit}")" || { echo "fresh-check: $REV is not a commit" >&2; exit 2; }

# The installed toolchain, found before HOME changes.
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
if command -v rustup >/dev/null 2>&1; then RUSTUP_HOME="${RUSTUP_HOME:-$(rustup show home)}"; else RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fresh-check.XXXXXX")"
CLONE="$WORK/clone"
LOGS="$WORK/logs"
mkdir -p "$LOGS"
FAILED=0
cleanup() {
  if [ "$KEEP" = 1 ]; then echo "fresh-check: work folder kept: $WORK"
  elif [ "$FAILED" = 1 ]; then rm -rf "$CLONE" "$WORK"/home-* "$WORK"/npm-cache-*; echo "fresh-check: logs kept in $LOGS"
  else rm -rf "$WORK"; fi
}
trap cleanup EXIT

git clone --quiet --no-checkout "$ROOT" "$CLONE" && git -C "$CLONE" checkout --quiet --detach "$SHA" || { echo "fresh-check: cannot clone $ROOT at $SHA" >&2; FAILED=1; exit 1; }
echo "fresh-check: $(git -C "$CLONE" log -1 --format='%h %s' | cut -c1-100)"
echo "fresh-check: clone in $CLONE; CARGO_HOME=$CARGO_HOME RUSTUP_HOME=$RUSTUP_HOME"

# What a fresh machine would not have: npm and project settings, a shared
# cargo target dir, build flags, test and demo knobs.
for var in $(compgen -e); do
  case "$var" in
    npm_*|NPM_*|GENESYS_*|NAPI_*|JEST_*|DEMO_*|REDIS_*|KEEP_E2E|DEBUG|NODE_OPTIONS|NODE_PATH|CARGO_TARGET_DIR|CARGO_BUILD_*|RUSTFLAGS|RUSTDOCFLAGS|RUSTC_WRAPPER|RUSTC_BOOTSTRAP|CI) unset "$var" ;;
  esac
done

# npm test must obtain a redis-server itself (scripts/redis.js): only proved
# where the system has none.
if command -v redis-server >/dev/null 2>&1; then
  echo "fresh-check: note: $(command -v redis-server) is installed: the tests will use it, so this run does not prove that npm test obtains one (remove the package for that)"
else
  echo "fresh-check: no redis-server installed: npm test must obtain one (into the clone's target/tools)"
fi

# What a step must leave alone (a tool installed there by one run is found by
# the next one, and by nothing on a new machine).
NPM_GLOBAL="$(npm root -g)"
shared_state() { ls -l --time-style=full-iso "$CARGO_HOME/bin" "$NPM_GLOBAL" 2>/dev/null | grep -v '^total'; }
SHARED_BEFORE="$(shared_state)"

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

SUMMARY=()
n=0
# step CI TESTS COMMAND: runs COMMAND in the clone (CI=true if CI is 1; TESTS=1:
# it must close on a clean Jest line) with a new empty HOME and npm cache
# unless REUSE_ENV=1, logs it, times it, prints its closing lines.
step() {
  local ci="$1" tests="$2" cmd="$3" log start secs status jest verdict shared_after
  n=$((n + 1))
  case ",$STEPS," in *",$n,"*) ;; *) SUMMARY+=("$(printf '%-30s %7s  %s' "$n. $cmd" "-" "not run (--steps $STEPS)")"); return 0 ;; esac
  log="$LOGS/$n.log"
  if [ "${REUSE_ENV:-0}" != 1 ]; then
    STEP_HOME="$(mktemp -d "$WORK/home-XXXX")"
    STEP_CACHE="$(mktemp -d "$WORK/npm-cache-XXXX")"
  fi
  echo
  echo "== $n. $cmd  (HOME=$STEP_HOME, npm_config_cache=$STEP_CACHE$([ "$ci" = 1 ] && echo ', CI=true'))"
  start=$SECONDS
  (
    cd "$CLONE" || exit 1
    export HOME="$STEP_HOME" npm_config_cache="$STEP_CACHE" CARGO_HOME RUSTUP_HOME
    if [ "$ci" = 1 ]; then export CI=true; fi
    bash -c "$cmd"
  ) </dev/null >"$log" 2>&1
  status=$?
  secs=$((SECONDS - start))
  jest="$(grep -E '^jest: [0-9]+ passed' "$log" | tail -n 1)"
  shared_after="$(shared_state)"
  if [ "$shared_after" != "$SHARED_BEFORE" ]; then
    echo "   wrote outside the clone ($CARGO_HOME/bin or $NPM_GLOBAL):"
    diff <(echo "$SHARED_BEFORE") <(echo "$shared_after") | grep '^[<>]' | sed 's/^/     /'
    SHARED_BEFORE="$shared_after"
    [ "$status" != 0 ] || status=1
  fi
  if [ "$status" = 0 ] && [ "$tests" = 1 ] && ! [[ "$jest" =~ ^jest:\ [1-9][0-9]*\ passed,\ 0\ failed,\ 0\ skipped$ ]]; then
    echo "   did not close on 'jest: N passed, 0 failed, 0 skipped' (got '${jest:-nothing}')"
    status=1
  fi
  if [ "$status" = 0 ]; then
    verdict=ok
    grep -v '^[[:space:]]*$' "$log" | tail -n 3 | sed 's/^/   | /'
  else
    verdict="FAILED (exit $status)"
    FAILED=1
    tail -n 40 "$log" | sed 's/^/   | /'
  fi
  echo "   $verdict in $(fmt_time "$secs"); log: $log"
  SUMMARY+=("$(printf '%-30s %7s  %-20s %s' "$n. $cmd" "$(fmt_time "$secs")" "$verdict" "$jest")")
  return "$status"
}

finish() {
  echo
  echo "fresh-check summary ($(git -C "$CLONE" log -1 --format=%h), total $(fmt_time "$SECONDS")):"
  printf '  %s\n' "${SUMMARY[@]}"
  if [ "$FAILED" != 0 ]; then echo "fresh-check: FAILED"
  elif [ "$STEPS" != 1,2,3 ]; then echo "fresh-check: passed (steps $STEPS only)"
  else echo "fresh-check: passed"; fi
  exit "$FAILED"
}

# The README's two commands, exactly as it writes them.
DEMO_CMD='npm ci && npm run demo'
TEST_CMD='npm ci && npm test'
for cmd in "$DEMO_CMD" "$TEST_CMD"; do
  grep -qF "$cmd" "$CLONE/README.md" || echo "fresh-check: note: this README does not say '$cmd'"
done

SECONDS=0
# 1 and 2 share one HOME and npm cache, as one new user running both would.
step 0 0 "$DEMO_CMD" || [ "$KEEP_GOING" = 1 ] || finish
REUSE_ENV=1 step 0 1 "$TEST_CMD" || [ "$KEEP_GOING" = 1 ] || finish
step 1 1 "bash .ci/run" || [ "$KEEP_GOING" = 1 ] || finish
finish
