//! Finding idle web messaging conversations with the analytics details query,
//! paged to the end, and sweeping them (find + close with a re-read, since
//! analytics can lag).

use crate::error::Error;
use crate::transport::{Parsed, Request, Transport};
use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone)]
pub struct FindOptions {
    /// Minimum time since the last activity.
    pub idle_for: Duration,
    /// How far back to look for conversations that started (the query interval).
    pub lookback: Duration,
    pub page_size: u32,
    /// Message types to find (default `webmessaging`).
    pub message_types: Vec<String>,
    /// Stop after this many idle conversations (0 = no limit).
    pub limit: u32,
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            idle_for: Duration::from_secs(30 * 60),
            lookback: Duration::from_secs(24 * 3600),
            page_size: MAX_PAGE_SIZE,
            message_types: vec!["webmessaging".into()],
            limit: 0,
        }
    }
}

impl FindOptions {
    pub fn validate(&self) -> Result<(), Error> {
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(Error::invalid_argument(format!(
                "pageSize must be from 1 to {MAX_PAGE_SIZE}, got {}.",
                self.page_size
            )));
        }
        if self.lookback.is_zero() {
            return Err(Error::invalid_argument("lookbackMs must be positive."));
        }
        if self.message_types.is_empty() {
            return Err(Error::invalid_argument(
                "messageTypes must name at least one message type.",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdleConversation {
    pub conversation_id: String,
    pub started_at: String,
    pub last_activity_at: String,
    pub participants: u32,
    pub idle_ms: f64,
}

#[derive(Debug, Clone)]
pub struct FindReport {
    pub conversations: Vec<IdleConversation>,
    /// Open conversations the query returned (idle or not).
    pub scanned: u32,
    pub pages: u32,
    pub requests: u32,
    pub retries: u32,
    pub rate_limited: u32,
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

#[derive(Deserialize)]
struct AnalyticsParticipant {
    #[serde(default)]
    sessions: Vec<AnalyticsSession>,
}

#[derive(Deserialize)]
struct AnalyticsSession {
    #[serde(default)]
    segments: Vec<AnalyticsSegment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnalyticsSegment {
    #[serde(default)]
    segment_start: Option<String>,
    #[serde(default)]
    segment_end: Option<String>,
}

/// The query body of section 8 of the API notes, for one page.
pub fn query_body(now: SystemTime, opts: &FindOptions, page: u32) -> serde_json::Value {
    let from = now
        .checked_sub(opts.lookback)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let interval = format!("{}/{}", fmt_time(from), fmt_time(now));
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

fn fmt_time(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok()
}

/// Lists open conversations idle for at least `idle_for`, oldest first.
pub async fn find_idle(
    t: &Transport,
    opts: &FindOptions,
    cancel: &CancellationToken,
) -> Result<FindReport, Error> {
    opts.validate()?;
    let mut call = t.call(cancel);
    let now = SystemTime::now();
    let mut out = Vec::new();
    let mut scanned = 0u32;
    let mut page = 1u32;
    loop {
        let body = query_body(now, opts, page);
        let action = format!("querying analytics for open conversations (page {page})");
        let req = Request {
            method: Method::POST,
            path: "/api/v2/analytics/conversations/details/query".into(),
            route: "/api/v2/analytics/conversations/details/query",
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
        let (open, idle) = idle_in_page(&page_data, now, opts.idle_for);
        scanned += open;
        for c in idle {
            out.push(c);
            if opts.limit > 0 && out.len() as u32 >= opts.limit {
                return Ok(report(out, scanned, page, &call.stats));
            }
        }
        let seen_all = page_data
            .total_hits
            .is_some_and(|total| u64::from(page) * u64::from(opts.page_size) >= total);
        if got < opts.page_size || seen_all {
            return Ok(report(out, scanned, page, &call.stats));
        }
        page += 1;
    }
}

/// Parses one analytics page; `None` when it is not a details-query answer.
pub fn parse_page(body: &[u8]) -> Option<QueryPage> {
    serde_json::from_slice(body).ok()
}

/// The open conversations of a page (counted) and those idle for `idle_for`.
/// Pure: the whole decision of what counts as idle, tested without HTTP.
pub fn idle_in_page(
    page: &QueryPage,
    now: SystemTime,
    idle_for: Duration,
) -> (u32, Vec<IdleConversation>) {
    let mut open = 0;
    let mut idle = Vec::new();
    for c in &page.conversations {
        if c.conversation_end.is_some() || !crate::ids::is_uuid(&c.conversation_id) {
            continue;
        }
        open += 1;
        let last = last_activity(c);
        let Some(last_time) = last.as_deref().and_then(parse_time) else {
            continue;
        };
        let idle_time = now.duration_since(last_time).unwrap_or_default();
        if idle_time >= idle_for {
            idle.push(IdleConversation {
                conversation_id: c.conversation_id.to_ascii_lowercase(),
                started_at: c.conversation_start.clone().unwrap_or_default(),
                last_activity_at: last.unwrap_or_default(),
                participants: c.participants.len() as u32,
                idle_ms: idle_time.as_secs_f64() * 1000.0,
            });
        }
    }
    (open, idle)
}

fn report(
    conversations: Vec<IdleConversation>,
    scanned: u32,
    pages: u32,
    stats: &crate::transport::CallStats,
) -> FindReport {
    FindReport {
        conversations,
        scanned,
        pages,
        requests: stats.requests,
        retries: stats.retries,
        rate_limited: stats.rate_limited,
    }
}

/// The latest segment start or end: when something last happened.
fn last_activity(c: &AnalyticsConversation) -> Option<String> {
    let mut best: Option<(SystemTime, &str)> = None;
    let times = c
        .participants
        .iter()
        .flat_map(|p| &p.sessions)
        .flat_map(|s| &s.segments)
        .flat_map(|seg| [seg.segment_start.as_deref(), seg.segment_end.as_deref()])
        .flatten()
        .chain(c.conversation_start.as_deref());
    for s in times {
        if let Some(t) = parse_time(s) {
            if best.is_none_or(|(b, _)| t > b) {
                best = Some((t, s));
            }
        }
    }
    best.map(|(_, s)| s.to_string())
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
    fn idle_in_page_keeps_open_uuid_conversations_idle_long_enough() {
        let page = parse_page(br#"{"conversations":[
            {"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","conversationStart":"2026-11-26T00:00:00Z"},
            {"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa7","conversationStart":"2026-11-26T00:55:00Z"},
            {"conversationId":"3fa85f64-5717-4562-b3fc-2c963f66afa8","conversationStart":"2026-11-26T00:00:00Z","conversationEnd":"2026-11-26T00:01:00Z"},
            {"conversationId":"../../users/me","conversationStart":"2026-11-26T00:00:00Z"}
        ],"totalHits":4}"#)
        .unwrap();
        let now = humantime::parse_rfc3339("2026-11-26T01:00:00Z").unwrap();
        let (open, idle) = idle_in_page(&page, now, Duration::from_secs(30 * 60));
        assert_eq!(open, 2);
        assert_eq!(idle.len(), 1);
        assert_eq!(
            idle[0].conversation_id,
            "3fa85f64-5717-4562-b3fc-2c963f66afa6"
        );
        assert_eq!(idle[0].idle_ms, 3_600_000.0);
        assert!(parse_page(b"not json").is_none());
    }

    #[test]
    fn last_activity_is_the_latest_segment_time() {
        let c: AnalyticsConversation = serde_json::from_value(serde_json::json!({
            "conversationId": "x", "conversationStart": "2026-11-26T00:00:00.000Z",
            "participants": [{"sessions": [{"segments": [
                {"segmentStart": "2026-11-26T00:00:00.000Z", "segmentEnd": "2026-11-26T00:05:00.000Z"},
                {"segmentStart": "2026-11-26T00:10:00.000Z"}
            ]}]}]
        }))
        .unwrap();
        assert_eq!(
            last_activity(&c).as_deref(),
            Some("2026-11-26T00:10:00.000Z")
        );
    }
}
