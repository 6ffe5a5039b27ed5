//! Finding idle web messaging conversations. Analytics only nominates
//! candidates: open conversations (of the wanted message types) that started
//! at least `idleFor` ago, paged to the end. Whether one is idle is decided
//! from the conversation itself (`activity`), on a re-read: analytics
//! segments follow participant state changes, not messages, so they cannot
//! tell a live chat from an abandoned one.

use crate::bulk::{self, BulkEntry, BulkOptions};
use crate::close::{CloseOptions, Outcome, SkipReason};
use crate::error::Error;
use crate::genesys::activity::{Activity, ActivitySource};
use crate::genesys::ids::IdInput;
use crate::genesys::message_types::{check_message_types, default_message_types};
use crate::genesys::routes;
use crate::http::transport::{Parsed, Request, Transport};
use crate::options::{self, Lookback, Validated};
use crate::session::Session;
use crate::stats::Totals;
use crate::time::{self, parse_time};
use bytes::Bytes;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

pub const MAX_PAGE_SIZE: u32 = 100;

/// Which conversations to look at (`findIdleConversations`, and the
/// discovery half of `sweep`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindOptions {
    /// Minimum time since the last activity (and so since the start). Required.
    #[serde(
        rename = "idleForMs",
        deserialize_with = "options::millis::<_, 0, 31_536_000_000>"
    )]
    pub idle_for: Duration,
    #[serde(rename = "lookbackMs", default)]
    pub lookback: Lookback,
    /// Analytics page size, 1 to 100. Default 100.
    #[serde(
        default = "default_page_size",
        deserialize_with = "options::whole::<_, 1, 100>"
    )]
    pub page_size: u32,
    /// Message types to find (default `webmessaging`).
    #[serde(default = "default_message_types")]
    pub message_types: Vec<String>,
    /// Let `messageTypes` hold types this version does not know.
    #[serde(default)]
    pub allow_unknown_message_types: bool,
    /// Stop after this many candidates (0 = no limit).
    #[serde(default, deserialize_with = "options::whole::<_, 0, 1_000_000_000>")]
    pub limit: u32,
}

fn default_page_size() -> u32 {
    MAX_PAGE_SIZE
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            idle_for: Duration::from_secs(30 * 60),
            lookback: Lookback::default(),
            page_size: default_page_size(),
            message_types: default_message_types(),
            allow_unknown_message_types: false,
            limit: 0,
        }
    }
}

impl Validated for FindOptions {
    fn validated(self) -> Result<Self, Error> {
        check_message_types(&self.message_types, self.allow_unknown_message_types)?;
        Ok(self)
    }
}

/// An open conversation analytics nominated: it started at least `idleFor` ago.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub conversation_id: String,
    pub started_at: String,
    pub participants: u32,
}

/// What the analytics pass found.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    pub candidates: Vec<Candidate>,
    /// Open conversations the query returned (old enough or not).
    pub scanned: u32,
    pub pages: u32,
    pub totals: Totals,
}

/// A conversation found idle (or nominated and not confirmed either way).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleConversation {
    /// Lower-cased UUID.
    pub conversation_id: String,
    /// `conversationStart` as analytics reports it.
    pub started_at: String,
    /// From the re-read; absent when it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_source: Option<ActivitySource>,
    /// Participants analytics lists for it.
    pub participants: u32,
    /// Time since `last_activity_at` when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<f64>,
    /// The re-read showed it idle for at least `idleFor`.
    pub confirmed: bool,
    /// Why it could not be confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconfirmed_reason: Option<String>,
}

/// What `find_idle` found.
#[derive(Debug, Clone)]
pub struct FindReport {
    /// Confirmed idle, then those that could not be confirmed, in start order.
    pub conversations: Vec<IdleConversation>,
    pub scanned: u32,
    /// Nominated by analytics (and re-read).
    pub candidates: u32,
    /// Candidates the re-read showed active (spared).
    pub active: u32,
    pub pages: u32,
    /// Discovery and re-reads.
    pub totals: Totals,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    #[serde(default)]
    conversations: Vec<AnalyticsConversation>,
    #[serde(default)]
    total_hits: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnalyticsConversation {
    conversation_id: String,
    #[serde(default)]
    conversation_start: Option<String>,
    #[serde(default)]
    conversation_end: Option<String>,
    #[serde(default)]
    participants: Vec<AnalyticsParticipant>,
}

/// Only counted: the segments inside say nothing about messages.
#[derive(Deserialize)]
struct AnalyticsParticipant {}

/// The analytics details query (shared/genesys-api.md, "Finding conversations"), for one page.
pub fn query_body(now: SystemTime, opts: &FindOptions, page: u32) -> serde_json::Value {
    let from = now
        .checked_sub(opts.lookback.get())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let interval = format!("{}/{}", time::format_millis(from), time::format_millis(now));
    let type_predicates: Vec<serde_json::Value> = opts
        .message_types
        .iter()
        .map(|t| serde_json::json!({"type": "dimension", "dimension": "messageType", "operator": "matches", "value": t}))
        .collect();
    let mut segment_filters = vec![serde_json::json!({"type": "and", "predicates": [
        {"type": "dimension", "dimension": "mediaType", "operator": "matches", "value": "message"}
    ]})];
    segment_filters.push(serde_json::json!({"type": "or", "predicates": type_predicates}));
    serde_json::json!({
        "interval": interval,
        "order": "asc",
        "orderBy": "conversationStart",
        "paging": {"pageSize": opts.page_size, "pageNumber": page},
        "conversationFilters": [{"type": "and", "predicates": [
            {"type": "dimension", "dimension": "conversationEnd", "operator": "notExists"}
        ]}],
        "segmentFilters": segment_filters,
    })
}

/// The analytics pass: open conversations that started at least `idle_for`
/// ago, oldest first, paged to the end (or to `limit`).
pub async fn find_candidates(
    t: &Transport,
    opts: &FindOptions,
    cancel: &CancellationToken,
) -> Result<Candidates, Error> {
    let mut call = t.call(cancel);
    let now = SystemTime::now();
    let mut out = Candidates::default();
    let mut page = 1u32;
    loop {
        let body = query_body(now, opts, page);
        let action = format!("querying analytics for open conversations (page {page})");
        let req = Request {
            method: Method::POST,
            path: routes::ANALYTICS_QUERY.into(),
            route: routes::ANALYTICS_QUERY,
            body: Some(Bytes::from(body.to_string())),
            action: &action,
        };
        let reply = t
            .send(&req, &mut call, |status, body| match status {
                200 => match parse_page(body) {
                    Some(p) => Parsed::Accept(p),
                    None => Parsed::Unreadable,
                },
                _ => Parsed::Reject,
            })
            .await?;
        let page_data = reply.value;
        let got = page_data.conversations.len() as u32;
        let (open, nominated) = candidates_in_page(&page_data, now, opts.idle_for);
        out.scanned += open;
        out.pages = page;
        for c in nominated {
            out.candidates.push(c);
            if opts.limit > 0 && out.candidates.len() as u32 >= opts.limit {
                out.totals += &call.stats;
                return Ok(out);
            }
        }
        let seen_all = page_data
            .total_hits
            .is_some_and(|total| u64::from(page) * u64::from(opts.page_size) >= total);
        if got < opts.page_size || seen_all {
            out.totals += &call.stats;
            return Ok(out);
        }
        page += 1;
    }
}

/// Candidates, each re-read and judged by the idle rule (a dry run of the
/// guarded close: same read, same decision, no write).
pub async fn find_idle(
    t: &Session,
    opts: &FindOptions,
    cancel: &CancellationToken,
) -> Result<FindReport, Error> {
    let found = find_candidates(t, opts, cancel).await?;
    let ids = found
        .candidates
        .iter()
        .map(|c| IdInput::from(c.conversation_id.as_str()))
        .collect();
    let confirm = BulkOptions {
        close: CloseOptions {
            dry_run: true,
            idle_for: Some(opts.idle_for),
            message_types: opts.message_types.clone(),
            ..CloseOptions::default()
        },
        ..BulkOptions::default()
    };
    let reads = bulk::close_many(t, ids, &confirm, cancel).await?;
    if cancel.is_cancelled() {
        return Err(Error::aborted());
    }
    let mut totals = found.totals;
    totals += reads.totals;
    let mut confirmed = Vec::new();
    let mut unconfirmed = Vec::new();
    let mut active = 0;
    let now = SystemTime::now();
    for (c, entry) in found.candidates.iter().zip(&reads.results) {
        match judge_candidate(c, entry, now) {
            Judged::Idle(i) => confirmed.push(i),
            Judged::Unconfirmed(i) => unconfirmed.push(i),
            Judged::Active => active += 1,
            Judged::Gone => {}
        }
    }
    confirmed.extend(unconfirmed);
    Ok(FindReport {
        conversations: confirmed,
        scanned: found.scanned,
        candidates: found.candidates.len() as u32,
        active,
        pages: found.pages,
        totals,
    })
}

/// What the re-read of a candidate showed.
pub enum Judged {
    Idle(IdleConversation),
    Unconfirmed(IdleConversation),
    Active,
    /// Ended, not found, or not a wanted message type.
    Gone,
}

/// Turns a candidate and the result of its guarded (dry or real) close into
/// what discovery reports, as of `now`. Pure.
pub fn judge_candidate(c: &Candidate, entry: &BulkEntry, now: SystemTime) -> Judged {
    let base = |activity: Option<&Activity>, confirmed, why: Option<String>| IdleConversation {
        conversation_id: c.conversation_id.clone(),
        started_at: c.started_at.clone(),
        last_activity_at: activity.and_then(|a| a.last_at.clone()),
        activity_source: activity.map(|a| a.source),
        participants: c.participants,
        idle_ms: activity
            .and_then(|a| a.last)
            .map(|t| now.duration_since(t).unwrap_or_default().as_secs_f64() * 1000.0),
        confirmed,
        unconfirmed_reason: why,
    };
    match entry {
        BulkEntry::Done(r) => match (r.outcome, r.skip_reason) {
            (Outcome::WouldClose | Outcome::Closed, _) => {
                Judged::Idle(base(r.activity.as_ref(), true, None))
            }
            (Outcome::Skipped, Some(SkipReason::Active)) => Judged::Active,
            (Outcome::Skipped, Some(SkipReason::ActivityUnknown)) => {
                Judged::Unconfirmed(base(r.activity.as_ref(), false, r.reason.clone()))
            }
            _ => Judged::Gone,
        },
        BulkEntry::Failed { error, .. } => Judged::Unconfirmed(base(
            None,
            false,
            Some(format!("could not re-read it: {}", error.message)),
        )),
        BulkEntry::Aborted { .. } => Judged::Unconfirmed(base(
            None,
            false,
            Some("not re-read: the run was aborted".into()),
        )),
        BulkEntry::Duplicate { .. } => Judged::Gone,
    }
}

/// Parses one analytics page; `None` when it is not a details-query answer.
pub fn parse_page(body: &[u8]) -> Option<QueryPage> {
    serde_json::from_slice(body).ok()
}

/// The open conversations of a page (counted) and those old enough to have
/// been idle for `idle_for` (nominated). Pure. Only the start time is used:
/// analytics knows nothing about messages, so it can rule a conversation out
/// (too young) but never in.
pub fn candidates_in_page(
    page: &QueryPage,
    now: SystemTime,
    idle_for: Duration,
) -> (u32, Vec<Candidate>) {
    let mut open = 0;
    let mut out = Vec::new();
    for c in &page.conversations {
        if c.conversation_end.is_some() || !crate::genesys::ids::is_uuid(&c.conversation_id) {
            continue;
        }
        open += 1;
        let started = c.conversation_start.as_deref().and_then(parse_time);
        // An unreadable start cannot rule it out: the re-read decides.
        let too_young =
            started.is_some_and(|s| now.duration_since(s).unwrap_or_default() < idle_for);
        if !too_young {
            out.push(Candidate {
                conversation_id: c.conversation_id.to_ascii_lowercase(),
                started_at: c.conversation_start.clone().unwrap_or_default(),
                participants: c.participants.len() as u32,
            });
        }
    }
    (open, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_matches_the_documented_shape() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let q = query_body(now, &FindOptions::default(), 3);
        assert_eq!(q["paging"]["pageNumber"], 3);
        assert_eq!(q["paging"]["pageSize"], 100);
        assert_eq!(
            q["conversationFilters"][0]["predicates"][0]["dimension"],
            "conversationEnd"
        );
        assert_eq!(
            q["conversationFilters"][0]["predicates"][0]["operator"],
            "notExists"
        );
        assert_eq!(
            q["segmentFilters"][1]["predicates"][0]["value"],
            "webmessaging"
        );
        let interval = q["interval"].as_str().unwrap();
        assert!(
            interval.ends_with('Z') && interval.contains('/'),
            "{interval}"
        );
    }

    #[test]
    fn candidates_are_open_uuid_conversations_old_enough() {
        let page = parse_page(br#"{"conversations":[
            {"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","conversationStart":"2026-11-26T00:00:00Z","participants":[{},{}]},
            {"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa7","conversationStart":"2026-11-26T00:55:00Z"},
            {"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa8","conversationStart":"2026-11-26T00:00:00Z","conversationEnd":"2026-11-26T00:01:00Z"},
            {"conversationId":"3FA85F64-5717-4562-B3FC-2C963F66AFA9"},
            {"conversationId":"../../users/me","conversationStart":"2026-11-26T00:00:00Z"}
        ],"totalHits":5}"#)
        .unwrap();
        let now = humantime::parse_rfc3339("2026-11-26T01:00:00Z").unwrap();
        let (open, nominated) = candidates_in_page(&page, now, Duration::from_secs(30 * 60));
        assert_eq!(open, 3);
        let ids: Vec<&str> = nominated
            .iter()
            .map(|c| c.conversation_id.as_str())
            .collect();
        // Started 5 min ago: too young. No start: the re-read decides.
        assert_eq!(
            ids,
            [
                "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                "3fa85f64-5717-4562-b3fc-2c963f66afa9"
            ]
        );
        assert_eq!(nominated[0].participants, 2);
        assert!(parse_page(b"not json").is_none());
    }

    #[test]
    fn segments_never_make_a_conversation_idle() {
        // A chat that started long ago has one open segment from its start:
        // analytics nominates it, nothing more; the re-read decides.
        let page = parse_page(
            br#"{"conversations":[{"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "conversationStart":"2026-11-26T00:00:00Z","participants":[{"sessions":[{"segments":[
            {"segmentStart":"2026-11-26T00:00:00Z","segmentType":"interact"}]}]}]}]}"#,
        )
        .unwrap();
        let now = humantime::parse_rfc3339("2026-11-26T02:00:00Z").unwrap();
        let (_, nominated) = candidates_in_page(&page, now, Duration::from_secs(30 * 60));
        assert_eq!(nominated.len(), 1);
    }
}
