#!/usr/bin/env bash
# Proves the reliability tests can fail: switches off one mechanism at a time
# (retries, Retry-After, the 401 replay, refresh before expiry, single flight,
# pacing, the idle guard of a sweep, the division explanation of a 403 and its
# once-per-client lookup, the write fence of a leased sweep, watch mode's
# reconciliation and guard, and issue 12's hardening: the body cap, callback
# isolation, event delivery, network causes, truthful aborts, results
# converted while a run goes on; issue 24's read-to-write window, one
# writer per lease, callbacks contained whatever they throw) in a scratch
# worktree, rebuilds the addon, runs the tests that guard it, and requires
# them to FAIL. Run by hand (it takes a few minutes):
#   bash scripts/mutation-check.sh            # every mutant
#   bash scripts/mutation-check.sh idle       # only mutants whose name contains "idle"
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${MUTATION_WORKDIR:-/tmp/genesys-cleanup-mutants}"
if [ -z "${GENESYS_EMULATOR_BIN:-}" ]; then
  # This checkout's emulator, built now (cargo rebuilds only what changed), not
  # whatever an earlier build left in target/.
  (cd "$ROOT" && cargo build --quiet --profile dev-opt -p genesys-emulator) || { echo "the emulator does not build"; exit 2; }
  export GENESYS_EMULATOR_BIN="$ROOT/target/dev-opt/genesys-emulator"
fi

rm -rf "$WORK"
git -C "$ROOT" worktree prune
git -C "$ROOT" worktree add --detach "$WORK" HEAD >/dev/null
ln -s "$ROOT/node_modules" "$WORK/node_modules"
# MUTATION_TARGET_DIR: a target folder to reuse (a warm one saves the first full build).
export CARGO_TARGET_DIR="${MUTATION_TARGET_DIR:-$WORK/target}"

# name @ file @ sed expression @ jest test-name pattern @ test file
MUTANTS=(
  "retries off@crates/core/src/http/transport/retry_wait.rs@s/let allowed = attempt < self.policy.max_retries/let allowed = false \&\& attempt < self.policy.max_retries/@is retried@reliability"
  "Retry-After ignored@crates/core/src/http/transport/attempt.rs@s/let ra = retry_after(\&headers, \&parsed_body);/let ra: Option<std::time::Duration> = None;/@waited out exactly@reliability"
  "401 replay off@crates/core/src/http/transport/mod.rs@s/\&\& !replayed_401 =>/\&\& false =>/@refreshes once and replays@reliability"
  "no refresh before expiry@crates/core/src/http/auth.rs@s/if now < c.refresh_at {/if now < c.expires_at {/@refreshed before it expires@reliability"
  "no single flight@crates/core/src/http/auth.rs@s/if Instant::now() < c.refresh_at {/if false \&\& Instant::now() < c.refresh_at {/@cause one token request@reliability"
  "pacing off@crates/core/src/http/transport/wait.rs@s/let (until, reason) = match decision {/let (until, reason): (Instant, WaitReason) = match decision {/;s/PairDecision::Wait { until, reason } => (until, reason),/PairDecision::Wait { .. } => return Ok((Slot { transport: self, ticket: None }, None)),/@under 1% answered 429@bulk"
  "idle: sweep decides from analytics alone@crates/core/src/sweep/mod.rs@s/opts.close.idle_for = Some(find.idle_for);/opts.close.idle_for = None;/@spares every live one@bulk"
  "idle: message times ignored@crates/core/src/genesys/activity.rs@s/if let Some((t, s)) = \&p.messages.newest {/if let Some((t, s)) = p.messages.newest.as_ref().filter(|_| false) {/@spares every live one@bulk"
  "hostile: no body cap@crates/core/src/http/transport/attempt.rs@s/read_bounded(resp, self.max_response_bytes)/read_bounded(resp, usize::MAX)/@larger than maxResponseBytes@close"
  "hostile: async callback rejections not caught@lib/callbacks.js@s/then.call(returned, undefined, report)/void returned/@callback that throws or rejects@bulk"
  "hostile: writes abandoned on abort@crates/core/src/http/transport/attempt.rs@s/let outcome = if req.method == Method::GET {/let outcome = if true {/@abort is truthful@bulk"
  "hostile: no body cap (hostile server)@crates/core/src/http/transport/attempt.rs@s/read_bounded(resp, self.max_response_bytes)/read_bounded(resp, usize::MAX)/@300 MB answer@hostile"
  "hostile: sync callback throws not caught@lib/callbacks.js@s/^  return (value) => {$/  return fn; return (value) => {/@callback that throws or rejects@bulk"
  "hostile: async listener rejections not caught@lib/callbacks.js@s/then.call(returned, undefined, report)/void returned/@async onEvent that rejects@hostile"
  "hostile: event buffer unbounded@crates/core/src/observe/event_buffer.rs@s/if s.items.len() < EVENT_CAPACITY {/if true {/@dropped event@hostile"
  "hostile: network causes not kept@crates/core/src/http/net_error.rs@s/error.network_cause = Some(f.cause);/error.network_cause = None;/@networkCause@hostile"
  "hostile: Retry-After unbounded@crates/core/src/http/transport/retry_wait.rs@s/secs.min(RETRY_AFTER_CAP_SECS)/secs/@absurd Retry-After@hostile"
  "hostile: server identifiers kept whole@crates/core/src/text.rs@s/        .take(MAX_TOKEN)/        .take(usize::MAX)/@200 KB correlation id@hostile"
  "hostile: invalid UTF-8 drops the error body@crates/core/src/genesys/api_error.rs@s/Err(_) => serde_json::from_str(\&String::from_utf8_lossy(bytes)).unwrap_or_default(),/Err(_) => ErrorBody::default(),/@invalid UTF-8@hostile"
  "hostile: aborted entries sent rather than prepared@src/results.rs@s/        self.echo.load(Ordering::Acquire)$/        false/@next to nothing left to convert@hostile"
  "hostile: aborted entries taken as given whatever the spelling@src/results.rs@s/if raw == conversation_id)/if true)/@as given or as the core spells it@hostile"
  "hostile: result stream kept after the run@lib/results.js@s/^\( *\)this.stream.close()$/\1void 0/@stays in memory@hostile"
  "hostile: a sweep's conversations found not passed on@crates/core/src/sweep/verdicts.rs@s/Judged::Idle(idle) => self.next.found(index, idle),/Judged::Idle(_) => {}/@report adds up in candidate order@hostile"
  "hostile: credentials in baseUrl not refused@crates/core/src/genesys/region.rs@s/    if without_userinfo(input) != input.trim() {/    if false {/@password in baseUrl@hostile"
  "watch: gaps not swept@crates/core/src/watch/driver.rs@s/^        self.gaps_pending += 1;$/        let _ = 1;/@dropped socket@watch"
  "watch: no periodic sweep after the first@crates/core/src/watch/driver.rs@s/self.next_periodic = now + self.opts.reconcile_every;/self.next_periodic = now + std::time::Duration::from_secs(31_536_000);/@bot-flow@watch"
  "watch: closes without the idle guard@crates/core/src/watch/driver.rs@s/idle_for: Some(opts.idle),/idle_for: None,/@did not deliver@watch"
  "chaos without retries@crates/core/src/http/transport/retry_wait.rs@s/let allowed = attempt < self.policy.max_retries/let allowed = false \&\& attempt < self.policy.max_retries/@chaos@reliability"
  "division: refusal unexplained@crates/core/src/close/end.rs@s/Err(explain_division(t, id, \&conv, e, call).await)/Err(e)/@naming both divisions@divisions"
  "lease: no native write fence@crates/core/src/http/fence.rs@s/        if self.allows(Instant::now()) {/        if true || self.allows(Instant::now()) {/@stalled past the TTL@lease"
  "lease: a lost lease does not stop the bulk run@crates/core/src/bulk/mod.rs@s/ErrorCode::Unauthorized | ErrorCode::LeaseLost/ErrorCode::Unauthorized/@stalled past the TTL@lease"
  "division: grants looked up on every refusal@crates/core/src/session/mod.rs@s/let memo = \&self.holdings;/let memo = Box::leak(Box::new(OnceCell::new()));/@looks the grants up once@divisions"
  "read-to-write: the PATCH waits for the budget after its read@crates/core/src/close/end.rs@s/Some(slot) => Send::Decided { slot, tries },/Some(slot) => { drop(slot); let _ = tries; Send::Plain }/@nothing waits between the read@read-to-write"
  "read-to-write: a retried PATCH not read again@crates/core/src/http/transport/decided.rs@s/^        stale(tries)$/        let _ = stale(tries); Err(Error::aborted())/@waited out, then the conversation is read@read-to-write"
  "read-to-write: activity after the read not reported@crates/core/src/close/end.rs@s/after.consider(summary.activity_times());/let _ = summary;/;s/after.consider(c.activity_times());/let _ = \&c;/@activityAfterRead@read-to-write"
  "lease: one lease object lets two jobs write@lib/lease.js@s/if (!claim(lease, name)) {/if (!claim(lease, name) \&\& false) {/@lease object@lease"
  "callbacks: a thrown value described with a template literal@lib/callbacks.js@s/(\${describeThrown(e)})/(\${e})/@whatever a callback throws@bulk"
)

survived=0
ONLY="${1:-}"
for m in "${MUTANTS[@]}"; do
  IFS='@' read -r name file expr pattern suite <<<"$m"
  [[ -z "$ONLY" || "$name" == *"$ONLY"* ]] || continue
  git -C "$WORK" checkout -q -- .
  sed -i "$expr" "$WORK/$file"
  if git -C "$WORK" diff --quiet; then
    echo "!! mutant '$name' did not apply (sed matched nothing): fix this script"; survived=$((survived + 1)); continue
  fi
  (cd "$WORK" && npx napi build --platform --profile dev-opt --js binding.js --dts binding.d.ts >/dev/null 2>&1) || { echo "!! mutant '$name' does not build"; survived=$((survived + 1)); continue; }
  # --forceExit: a mutant may leave work running past a failed test.
  if (cd "$WORK" && timeout 600 npx jest --ci --forceExit "__test__/$suite.test.ts" -t "$pattern" >"$WORK/mutant.log" 2>&1); then
    echo "SURVIVED: $name (tests matching '$pattern' still pass)"; survived=$((survived + 1))
  else
    echo "killed:   $name ($(grep -E '^Tests:' "$WORK/mutant.log" | tail -1))"
  fi
done
git -C "$ROOT" worktree remove --force "$WORK"
echo "$survived mutant(s) survived"
exit $((survived > 0))
