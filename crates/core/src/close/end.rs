//! Ending a conversation once its state is read: the write the read
//! decided, the fallbacks when it is refused or conflicts, verification.
//!
//! The read and the write go back to back (`transport::decided`): the
//! write goes out on the rate slot reserved with the read, or, where it
//! would have to wait (no slot, a retry's pause, a token refresh), the
//! conversation is read and decided again after the wait. A close never
//! acts on a read older than one round trip plus the write's own.
//!
//! Whatever is seen after the decision (the PATCH's answer, a verify read)
//! that shows activity newer than the read is reported as
//! `activityAfterRead`: Genesys has no conditional close, so the window can
//! be kept short but not closed.

use super::decide::{decide, Decision};
use super::refusal::{combine_refusals, explain_division, is_refusal};
use super::requests::{self, PatchAnswer, Read, Send};
use super::step::Step;
use super::types::{CloseMethod, CloseOptions, Outcome};
use crate::error::{Error, ErrorCode};
use crate::genesys::activity::{self, Activity};
use crate::genesys::model::MessageParticipant;
use crate::genesys::patch_answer::ConversationSummary;
use crate::http::transport::{Call, Transport, WriteAttempts, WriteSlot};
use crate::session::Session;
use std::time::{Duration, SystemTime};

/// Re-reads a close may make because its write could not follow its read
/// at once; after them the conversation is left open (nothing written).
const MAX_STALE_ROUNDS: u32 = 8;

/// Read, decide, end; again from the read while the write would go stale.
pub(super) async fn full_close(
    t: &Session,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
) -> Result<Step, Error> {
    let mut round = Round::default();
    loop {
        let (read, slot) = if opts.dry_run {
            (requests::read(t, id, call).await?, WriteSlot::none(t))
        } else {
            requests::read_deciding(t, id, call).await?
        };
        let conv = match read {
            Read::NotFound => return Ok(Step::not_found(0)),
            Read::Found(c) => c,
        };
        let seen = activity::activity(&conv);
        match end_from_state(t, id, &conv, &seen, opts, call, slot, &mut round).await {
            Ok(Some(step)) => return Ok(step.with_activity(Some(seen)).with_read(&conv)),
            Ok(None) if round.tries.stale_rounds < MAX_STALE_ROUNDS => {}
            Ok(None) => return Err(stale(id, round.tries.stale_rounds)),
            Err(e) if e.status == Some(403) && is_refusal(&e) => {
                return Err(explain_division(t, id, &conv, e, call).await)
            }
            Err(e) => return Err(e),
        }
    }
}

/// What carries from one read-and-decide round to the next.
#[derive(Default)]
struct Round {
    tries: WriteAttempts,
    /// The whole-conversation PATCH was refused: the next round goes
    /// straight to the participants.
    whole_refused: Option<Error>,
}

fn stale(id: &str, rounds: u32) -> Error {
    Error::new(
        ErrorCode::RateLimited,
        format!(
            "Conversation {id} was left open: {rounds} times its close could not be sent right after the read that decided it (the token's rate budget is contended), and a close is never sent on an older read. Nothing was written; try again later or lower the concurrency."
        ),
    )
}

/// The first write goes out as the read's decided write; later ones plainly.
fn next_send<'s, 'w>(
    slot: &mut Option<WriteSlot<'s>>,
    tries: &'w mut WriteAttempts,
) -> Send<'s, 'w> {
    match slot.take() {
        Some(slot) => Send::Decided { slot, tries },
        None => Send::Plain,
    }
}

/// Activity newer than the deciding read, as seen after the decision.
struct AfterRead<'a> {
    seen: Option<&'a Activity>,
    newest: Option<String>,
}

impl AfterRead<'_> {
    fn consider<'t>(&mut self, times: impl IntoIterator<Item = &'t str>) {
        let Some(found) = self.seen.and_then(|seen| activity::after_read(seen, times)) else {
            return;
        };
        let newer = self
            .newest
            .as_deref()
            .is_none_or(|old| crate::time::parse_time(&found) > crate::time::parse_time(old));
        if newer {
            self.newest = Some(found);
        }
    }
}

/// Ends what the read showed open. `None`: the write went stale (see
/// `transport::decided`); read again.
#[allow(clippy::too_many_arguments)]
async fn end_from_state(
    t: &Transport,
    id: &str,
    conv: &crate::genesys::model::MessageConversation,
    seen: &Activity,
    opts: &CloseOptions,
    call: &mut Call<'_>,
    slot: WriteSlot<'_>,
    round: &mut Round,
) -> Result<Option<Step>, Error> {
    let (wrapup, open) = match planned(conv, opts, round) {
        Ok(plan) => plan,
        Err(step) => return Ok(Some(step)),
    };
    let mut pass = Pass {
        slot: Some(slot),
        round,
        disconnected: 0,
        method: CloseMethod::Participants,
    };
    let mut after = AfterRead {
        seen: Some(seen),
        newest: None,
    };
    let written = async {
        wrap_up(t, id, &wrapup, opts, call, &mut pass).await?;
        if !open.is_empty() {
            end_open(t, id, &open, call, &mut pass, &mut after).await?;
        }
        Ok(())
    };
    match written.await {
        Ok(()) => {}
        Err(Halt::Stale) => return Ok(None),
        Err(Halt::Done(step)) => return Ok(Some(step)),
        Err(Halt::Failed(e)) => return Err(e),
    }
    let Pass {
        slot,
        method,
        disconnected,
        ..
    } = pass;
    drop(slot);
    let step = if opts.verify {
        verify_after_close(t, id, opts, call, method, disconnected, &mut after).await?
    } else {
        Step::closed(method, disconnected)
    };
    Ok(Some(Step {
        activity_after_read: after.newest,
        ..step
    }))
}

/// What the read decided: the participants to wrap up and those to end, or
/// the step it already is when nothing is to be written.
fn planned(
    conv: &crate::genesys::model::MessageConversation,
    opts: &CloseOptions,
    round: &Round,
) -> Result<(Vec<String>, Vec<String>), Step> {
    match decide(conv, opts, SystemTime::now()) {
        // Our earlier write's answer was lost, and now it has ended: that
        // write did it, as far as anyone can tell.
        Decision::AlreadyClosed if round.tries.unanswered => Err(Step {
            reason: Some(
                "the answer to our disconnect was lost; the re-read shows the conversation ended"
                    .into(),
            ),
            ..Step::closed(CloseMethod::Conversation, 0)
        }),
        Decision::AlreadyClosed => Err(Step::no_write(Outcome::AlreadyClosed)),
        Decision::Skip(why, reason) => Err(Step::skipped(why, reason)),
        Decision::End { .. } if opts.dry_run => Err(Step::no_write(Outcome::WouldClose)),
        Decision::End { wrapup, open } => Ok((wrapup, open)),
    }
}

/// The writes of one pass over what a read showed open, so far.
struct Pass<'s, 'r> {
    /// The read's decided write, until the first write takes it.
    slot: Option<WriteSlot<'s>>,
    round: &'r mut Round,
    disconnected: u32,
    method: CloseMethod,
}

/// Why a pass stops before its end.
enum Halt {
    /// The decided write went stale: read again.
    Stale,
    /// Nothing more to write (gone, or ended meanwhile).
    Done(Step),
    Failed(Error),
}

impl From<Error> for Halt {
    fn from(e: Error) -> Self {
        Halt::Failed(e)
    }
}

/// Agents that require wrap-up: each disconnected with the wrap-up code.
async fn wrap_up(
    t: &Transport,
    id: &str,
    wrapup: &[String],
    opts: &CloseOptions,
    call: &mut Call<'_>,
    pass: &mut Pass<'_, '_>,
) -> Result<(), Halt> {
    for pid in wrapup {
        let how = next_send(&mut pass.slot, &mut pass.round.tries);
        match requests::patch_participant(t, id, pid, opts.wrapup_code.as_deref(), call, how)
            .await?
        {
            None => return Err(Halt::Stale),
            Some(r) if !r.value => return Err(Halt::Done(Step::not_found(pass.disconnected))),
            Some(_) => pass.disconnected += 1,
        }
    }
    Ok(())
}

/// The open participants: one PATCH for the whole conversation, or each
/// participant when that is refused.
async fn end_open(
    t: &Transport,
    id: &str,
    open: &[String],
    call: &mut Call<'_>,
    pass: &mut Pass<'_, '_>,
    after: &mut AfterRead<'_>,
) -> Result<(), Halt> {
    let whole = match pass.round.whole_refused.take() {
        Some(refused) => Err(refused),
        None => {
            let how = next_send(&mut pass.slot, &mut pass.round.tries);
            requests::patch_conversation(t, id, call, how).await
        }
    };
    match whole {
        Ok(None) => Err(Halt::Stale),
        Ok(Some(reply)) => match reply.value {
            PatchAnswer::Done(summary) => {
                pass.method = CloseMethod::Conversation;
                pass.disconnected += open.len() as u32;
                if let Some((summary, _)) = &summary {
                    after.consider(summary.activity_times());
                }
                Ok(())
            }
            PatchAnswer::NotFound => Err(Halt::Done(Step::not_found(pass.disconnected))),
        },
        Err(e) if is_refusal(&e) => participants_instead(t, id, open, call, pass, e).await,
        Err(e) if is_state_conflict(&e) => Err(Halt::Done(
            ended_meanwhile(t, id, call, pass.disconnected, e).await?,
        )),
        Err(e) => Err(Halt::Failed(e)),
    }
}

/// The whole-conversation PATCH needs disconnect or park; the
/// per-participant one also accepts wrapup or call:record.
async fn participants_instead(
    t: &Transport,
    id: &str,
    open: &[String],
    call: &mut Call<'_>,
    pass: &mut Pass<'_, '_>,
    refused: Error,
) -> Result<(), Halt> {
    for (i, pid) in open.iter().enumerate() {
        // Still the decided write when nothing was ended yet: at once, or
        // after a fresh read.
        let how = if i == 0 && pass.disconnected == 0 {
            let slot = pass.slot.take().unwrap_or_else(|| WriteSlot::none(t));
            Send::Decided {
                slot,
                tries: &mut pass.round.tries,
            }
        } else {
            Send::Plain
        };
        match requests::patch_participant(t, id, pid, None, call, how).await {
            Ok(None) => {
                pass.round.whole_refused = Some(refused);
                return Err(Halt::Stale);
            }
            Ok(Some(r)) if r.value => pass.disconnected += 1,
            Ok(Some(_)) => return Err(Halt::Done(Step::not_found(pass.disconnected))),
            Err(e2) => return Err(Halt::Failed(combine_refusals(refused, e2, id))),
        }
    }
    Ok(())
}

/// A state conflict on the write: ended between our read and our write,
/// which is success for us, or else the conflict stands.
async fn ended_meanwhile(
    t: &Transport,
    id: &str,
    call: &mut Call<'_>,
    disconnected: u32,
    conflict: Error,
) -> Result<Step, Error> {
    Ok(match requests::read(t, id, call).await? {
        Read::NotFound => Step::not_found(disconnected),
        Read::Found(c) if c.participants.iter().all(MessageParticipant::is_ended) => {
            if disconnected > 0 {
                Step::closed(CloseMethod::Participants, disconnected)
            } else {
                Step::no_write(Outcome::AlreadyClosed)
            }
        }
        Read::Found(_) => return Err(conflict),
    })
}

/// Verification after the disconnect was accepted. An abort here cuts the
/// verification short, not the close: the write was done, so it is `closed`.
async fn verify_after_close(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
    method: CloseMethod,
    disconnected: u32,
    after: &mut AfterRead<'_>,
) -> Result<Step, Error> {
    match verify(t, id, opts, call, method, after).await {
        Ok(method) => Ok(Step::closed(method, disconnected)),
        Err(e) if e.code == ErrorCode::Aborted => Ok(Step {
            reason: Some(
                "verification was cut short by the abort; the disconnect itself was accepted"
                    .into(),
            ),
            ..Step::closed(method, disconnected)
        }),
        Err(e) => Err(e),
    }
}

/// One PATCH, no read. 200 -> closed (or already closed, when the answer shows
/// the conversation ended before we asked); 404 -> not found; a refusal or a
/// state conflict falls back to the full path, which reads.
pub(super) async fn fast_close(
    t: &Session,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
) -> Result<Step, Error> {
    let asked_at = SystemTime::now();
    let answer = requests::patch_conversation(t, id, call, Send::Plain)
        .await
        .map(|r| r.map(|r| r.value));
    // Nothing was read, so nothing can be newer than a read.
    let mut after = AfterRead {
        seen: None,
        newest: None,
    };
    match answer {
        Ok(Some(PatchAnswer::Done(Some((summary, date))))) => {
            if ended_before(&summary, date.unwrap_or(asked_at), call) {
                return Ok(Step::no_write(Outcome::AlreadyClosed));
            }
            let disconnected = summary.participant_count();
            if opts.verify {
                let method = CloseMethod::Conversation;
                return verify_after_close(t, id, opts, call, method, disconnected, &mut after)
                    .await;
            }
            Ok(Step::closed(CloseMethod::Conversation, disconnected))
        }
        Ok(Some(PatchAnswer::Done(None)) | None) => Ok(Step::closed(CloseMethod::Conversation, 0)),
        Ok(Some(PatchAnswer::NotFound)) => Ok(Step::not_found(0)),
        Err(e) if is_refusal(&e) || is_state_conflict(&e) => full_close(t, id, opts, call).await,
        Err(e) => Err(e),
    }
}

/// True when the PATCH answer shows a conversation that had ended well before
/// we asked (Genesys answers 200 without change for an ended conversation).
fn ended_before(summary: &ConversationSummary, server_now: SystemTime, call: &Call<'_>) -> bool {
    let Some(end) = summary
        .end_time
        .as_deref()
        .and_then(|s| humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok())
    else {
        return false;
    };
    // `Date` has one-second resolution and the request took a while: allow both.
    let slack = call.started.elapsed() + Duration::from_secs(2);
    server_now.checked_sub(slack).is_some_and(|t| end < t)
}

async fn verify(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
    method: CloseMethod,
    after: &mut AfterRead<'_>,
) -> Result<CloseMethod, Error> {
    if poll_until_ended(t, id, opts, call, after).await? {
        return Ok(method);
    }
    if opts.teardown_stuck {
        requests::teardown(t, id, call).await?;
        if poll_until_ended(t, id, opts, call, after).await? {
            return Ok(CloseMethod::Teardown);
        }
    }
    Err(Error::new(
        ErrorCode::Conflict,
        format!(
            "Conversation {id} still has connected participants {} s after it was disconnected: it looks stuck.{}",
            opts.verify_timeout.as_secs_f64(),
            if opts.teardown_stuck {
                " Even the full teardown (POST /api/v2/conversations/{id}/disconnect) did not end it: contact Genesys support with the correlation ids."
            } else {
                " Pass teardownStuck: true to force a full teardown (POST /api/v2/conversations/{id}/disconnect)."
            }
        ),
    ))
}

/// Re-reads with growing pauses until every participant is ended.
async fn poll_until_ended(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
    after: &mut AfterRead<'_>,
) -> Result<bool, Error> {
    let give_up = tokio::time::Instant::now() + opts.verify_timeout;
    let mut pause = Duration::from_millis(100);
    loop {
        match requests::read(t, id, call).await? {
            Read::NotFound => return Ok(true),
            Read::Found(c) => {
                after.consider(c.activity_times());
                if c.participants.iter().all(MessageParticipant::is_ended) {
                    return Ok(true);
                }
            }
        }
        let now = tokio::time::Instant::now();
        if now >= give_up {
            return Ok(false);
        }
        t.sleep(pause.min(give_up - now), call).await?;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

fn is_state_conflict(e: &Error) -> bool {
    e.code == ErrorCode::Conflict || (e.status == Some(400) && e.code == ErrorCode::InvalidArgument)
}
