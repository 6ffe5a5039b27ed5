//! `POST /api/v2/analytics/conversations/details/query`: the filters the
//! cleanup uses, an interval on conversation start, ordering and paging.
//!
//! Filters are evaluated per conversation: every session of an emulated
//! conversation has the same media, so a segment filter that matches one
//! segment matches the conversation.

use crate::genesys::errors::ApiError;
use crate::ground::clock::{format_iso, parse_iso};
use crate::model::inactivity::Timers;
use crate::model::{Conversation, Store};
use serde_json::{json, Map, Value};

pub const MAX_PAGE_SIZE: usize = 100;
const DEFAULT_PAGE_SIZE: usize = 25;

#[derive(Debug)]
pub struct Query {
    from: i64,
    to: i64,
    descending: bool,
    page_size: usize,
    page_number: usize,
    filters: Vec<Filter>,
}

#[derive(Debug)]
enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Pred(Dim, Op),
}

#[derive(Debug, Clone, Copy)]
enum Dim {
    ConversationEnd,
    MediaType,
    MessageType,
    ConversationId,
}

#[derive(Debug)]
enum Op {
    Matches(String),
    Exists,
    NotExists,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(msg)
}

pub fn parse(body: &[u8]) -> Result<Query, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Unable to parse the request body: {e}")))?;
    let Value::Object(o) = &v else {
        return Err(bad("The request body must be a JSON object."));
    };
    let interval = o
        .get("interval")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("interval is required"))?;
    let invalid_date = || {
        ApiError::new(
            400,
            "invalid.date",
            format!("Invalid interval [{interval}]. Expected <ISO-8601 start>/<ISO-8601 end>."),
        )
    };
    let (a, b) = interval.split_once('/').ok_or_else(invalid_date)?;
    let (from, to) = (
        parse_iso(a).ok_or_else(invalid_date)?,
        parse_iso(b).ok_or_else(invalid_date)?,
    );
    if from >= to {
        return Err(invalid_date());
    }
    let descending = match o.get("order").map(|v| v.as_str()) {
        None | Some(Some("asc")) => false,
        Some(Some("desc")) => true,
        _ => return Err(bad("order must be asc or desc")),
    };
    match o.get("orderBy").map(|v| v.as_str()) {
        None | Some(Some("conversationStart")) => {}
        _ => return Err(bad("orderBy: only conversationStart is supported")),
    }
    let paging = o.get("paging").cloned().unwrap_or(json!({}));
    let num = |key: &str, default: usize| -> Result<usize, ApiError> {
        match paging.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|n| *n >= 1)
                .map(|n| n as usize)
                .ok_or_else(|| bad(format!("paging.{key} must be a positive integer"))),
        }
    };
    let page_size = num("pageSize", DEFAULT_PAGE_SIZE)?;
    if page_size > MAX_PAGE_SIZE {
        return Err(bad(format!(
            "paging.pageSize must be at most {MAX_PAGE_SIZE}"
        )));
    }
    let page_number = num("pageNumber", 1)?;
    let mut filters = Vec::new();
    for key in ["conversationFilters", "segmentFilters"] {
        match o.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for f in list {
                    filters.push(parse_filter(f, key)?);
                }
            }
            Some(_) => return Err(bad(format!("{key} must be an array"))),
        }
    }
    Ok(Query {
        from,
        to,
        descending,
        page_size,
        page_number,
        filters,
    })
}

/// `{type: and|or, predicates?: [...], clauses?: [{type, predicates}]}`.
fn parse_filter(v: &Value, at: &str) -> Result<Filter, ApiError> {
    let mut items = Vec::new();
    for p in v
        .get("predicates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        items.push(parse_predicate(p, at)?);
    }
    for c in v
        .get("clauses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        items.push(parse_filter(c, at)?);
    }
    match v.get("type").and_then(Value::as_str).unwrap_or("and") {
        "and" => Ok(Filter::All(items)),
        "or" => Ok(Filter::Any(items)),
        t => Err(bad(format!("{at}: filter type must be and/or, not `{t}`"))),
    }
}

fn parse_predicate(p: &Value, at: &str) -> Result<Filter, ApiError> {
    if let Some(t) = p.get("type").and_then(Value::as_str) {
        if t != "dimension" {
            return Err(bad(format!(
                "{at}: only dimension predicates are supported, not `{t}`"
            )));
        }
    }
    let dim = match p.get("dimension").and_then(Value::as_str) {
        Some("conversationEnd") => Dim::ConversationEnd,
        Some("mediaType") => Dim::MediaType,
        Some("messageType") => Dim::MessageType,
        Some("conversationId") => Dim::ConversationId,
        Some(d) => return Err(bad(format!("{at}: unsupported dimension `{d}`"))),
        None => return Err(bad(format!("{at}: predicate needs a dimension"))),
    };
    let op = match p
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or("matches")
    {
        "exists" => Op::Exists,
        "notExists" => Op::NotExists,
        "matches" => match (dim, p.get("value").and_then(Value::as_str)) {
            (Dim::ConversationEnd, _) => {
                return Err(bad(format!(
                    "{at}: conversationEnd supports exists/notExists only"
                )))
            }
            (_, Some(v)) => Op::Matches(v.to_owned()),
            (_, None) => return Err(bad(format!("{at}: matches needs a string value"))),
        },
        o => return Err(bad(format!("{at}: unsupported operator `{o}`"))),
    };
    Ok(Filter::Pred(dim, op))
}

/// A conversation as analytics sees it: ends later than `cutoff` are not
/// visible yet (config `analyticsLagMs`).
struct View<'a> {
    c: &'a Conversation,
    cutoff: i64,
    timers: &'a Timers,
}

impl View<'_> {
    fn end(&self) -> Option<i64> {
        self.c.ended_at.filter(|e| *e <= self.cutoff)
    }

    fn value(&self, dim: Dim) -> Option<&str> {
        match dim {
            Dim::ConversationEnd => self.end().map(|_| ""),
            Dim::MediaType => Some(self.c.media.analytics_media_type()),
            Dim::MessageType => self.c.media.is_message().then(|| self.c.media.as_str()),
            Dim::ConversationId => Some(&self.c.id),
        }
    }

    fn matches(&self, f: &Filter) -> bool {
        match f {
            Filter::All(items) => items.iter().all(|f| self.matches(f)),
            Filter::Any(items) => items.is_empty() || items.iter().any(|f| self.matches(f)),
            Filter::Pred(dim, op) => {
                let v = self.value(*dim);
                match op {
                    Op::Exists => v.is_some(),
                    Op::NotExists => v.is_none(),
                    Op::Matches(want) => v == Some(want.as_str()),
                }
            }
        }
    }

    fn render(&self) -> Value {
        let c = self.c;
        let participants: Vec<Value> = c
            .participants
            .iter()
            .map(|p| {
                // Segments follow participant state changes only (alerting,
                // then interacting until the participant ends); a message
                // in an ongoing chat opens no segment.
                let end = p.end_time.filter(|e| *e <= self.cutoff);
                let connected = p.connected_time.unwrap_or(p.start_time).max(p.start_time);
                let mut segments = Vec::with_capacity(2);
                if connected > p.start_time {
                    segments.push(json!({
                        "segmentStart": format_iso(p.start_time),
                        "segmentEnd": format_iso(connected),
                        "segmentType": "alert",
                    }));
                }
                let mut interact = Map::new();
                interact.insert("segmentStart".into(), json!(format_iso(connected)));
                if let Some(e) = end {
                    interact.insert("segmentEnd".into(), json!(format_iso(e.max(connected))));
                }
                interact.insert("segmentType".into(), json!("interact"));
                segments.push(Value::Object(interact));
                let mut session = Map::new();
                session.insert("sessionId".into(), json!(p.communication_id));
                session.insert("mediaType".into(), json!(c.media.analytics_media_type()));
                if c.media.is_message() {
                    session.insert("messageType".into(), json!(c.media.as_str()));
                }
                session.insert("segments".into(), Value::Array(segments));
                json!({
                    "participantId": p.id,
                    "purpose": p.purpose,
                    "sessions": [Value::Object(session)],
                })
            })
            .collect();
        let mut m = Map::new();
        m.insert("conversationId".into(), json!(c.id));
        m.insert("conversationStart".into(), json!(format_iso(c.started_at)));
        if let Some(e) = self.end() {
            m.insert("conversationEnd".into(), json!(format_iso(e)));
        }
        if self.end().is_none() {
            if let Some(t) = self.timers.timeout_of(self.c) {
                m.insert("inactivityTimeout".into(), json!(format_iso(t)));
            }
        }
        m.insert("participants".into(), Value::Array(participants));
        Value::Object(m)
    }
}

/// One pass over the conversations that started in the interval (already in
/// order): counts every hit, renders only the requested page.
pub fn run(q: &Query, store: &Store, now: i64, lag_ms: u64, timers: &Timers) -> Value {
    let cutoff = now.saturating_sub(lag_ms as i64);
    let skip = (q.page_number - 1).saturating_mul(q.page_size);
    let mut total = 0usize;
    let mut page = Vec::new();
    for c in store.conversations_started_in(q.from, q.to, q.descending) {
        let view = View { c, cutoff, timers };
        if q.filters.iter().all(|f| view.matches(f)) {
            if total >= skip && page.len() < q.page_size {
                page.push(view.render());
            }
            total += 1;
        }
    }
    let mut out = Map::new();
    if !page.is_empty() {
        out.insert("conversations".into(), Value::Array(page));
    }
    out.insert("totalHits".into(), json!(total));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{from_spec, ConversationSpec};
    use rand::SeedableRng;

    const T0: i64 = 1_790_000_000_000; // 2026-09-21

    fn store() -> Store {
        let mut s = Store::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for (i, (kind, state)) in [
            ("webmessaging", "active"),
            ("webmessaging", "ended"),
            ("open", "active"),
            ("voice", "active"),
            ("webmessaging", "active"),
        ]
        .iter()
        .enumerate()
        {
            let spec: ConversationSpec = serde_json::from_value(json!({
                "id": format!("c{i}"), "type": kind, "state": state,
                "startedAt": T0 + i as i64 * 1000, "lastActivityAt": T0 + i as i64 * 1000 + 500,
            }))
            .unwrap();
            s.insert_conversation(from_spec(spec, &mut rng, T0).unwrap());
        }
        s
    }

    fn q(extra: Value) -> Query {
        let mut body = json!({
            "interval": format!("{}/{}", format_iso(T0), format_iso(T0 + 60_000)),
            "conversationFilters": [{"type":"and","predicates":[{"type":"dimension","dimension":"conversationEnd","operator":"notExists"}]}],
            "segmentFilters": [{"type":"and","predicates":[
                {"type":"dimension","dimension":"mediaType","operator":"matches","value":"message"},
                {"type":"dimension","dimension":"messageType","operator":"matches","value":"webmessaging"}]}],
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        parse(&serde_json::to_vec(&body).unwrap()).unwrap()
    }

    fn ids(v: &Value) -> Vec<String> {
        v["conversations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| c["conversationId"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn cleanup_query_finds_open_web_messaging() {
        let s = store();
        let out = run(&q(json!({})), &s, T0 + 10_000, 0, &Timers::none());
        assert_eq!(ids(&out), ["c0", "c4"]);
        assert_eq!(out["totalHits"], 2);
        let out = run(
            &q(json!({"order":"desc"})),
            &s,
            T0 + 10_000,
            0,
            &Timers::none(),
        );
        assert_eq!(ids(&out), ["c4", "c0"]);
        let seg = &out["conversations"][0]["participants"][0]["sessions"][0];
        assert_eq!(seg["messageType"], "webmessaging");
        // c4 has a message at +4500: it opens no segment (state changes only).
        let segments = seg["segments"].as_array().unwrap();
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0]["segmentStart"], format_iso(T0 + 4000));
        assert_eq!(segments[0]["segmentType"], "interact");
    }

    #[test]
    fn paging_and_empty_page() {
        let s = store();
        let all = json!({"conversationFilters": [], "segmentFilters": []});
        let mut body = all.clone();
        body["paging"] = json!({"pageSize": 2, "pageNumber": 3});
        let out = run(&q(body), &s, T0 + 10_000, 0, &Timers::none());
        assert_eq!(ids(&out), ["c4"]);
        assert_eq!(out["totalHits"], 5);
        let mut body = all;
        body["paging"] = json!({"pageSize": 2, "pageNumber": 4});
        let out = run(&q(body), &s, T0 + 10_000, 0, &Timers::none());
        assert!(out.get("conversations").is_none());
        assert_eq!(out["totalHits"], 5);
    }

    #[test]
    fn lag_hides_recent_ends_and_or_filters() {
        let mut s = store();
        s.conversation_mut("c0").unwrap().disconnect_all(T0 + 9_000);
        s.conversation_mut("c0").unwrap().refresh_end();
        let out = run(&q(json!({})), &s, T0 + 10_000, 5_000, &Timers::none());
        assert_eq!(ids(&out), ["c0", "c4"]);
        assert!(out["conversations"][0].get("conversationEnd").is_none());
        let out = run(&q(json!({})), &s, T0 + 10_000, 0, &Timers::none());
        assert_eq!(ids(&out), ["c4"]);
        let out = run(
            &q(
                json!({"conversationFilters": [], "segmentFilters": [{"type":"or","predicates":[
                {"dimension":"conversationId","value":"c3"},{"dimension":"messageType","value":"open"}]}]}),
            ),
            &s,
            T0 + 10_000,
            0,
            &Timers::none(),
        );
        assert_eq!(ids(&out), ["c2", "c3"]);
    }

    #[test]
    fn validation() {
        let err = |b: Value| parse(&serde_json::to_vec(&b).unwrap()).unwrap_err();
        assert_eq!(err(json!({})).code, "bad.request");
        assert_eq!(err(json!({"interval": "yesterday"})).code, "invalid.date");
        let iv = "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z";
        assert_eq!(
            err(json!({"interval": iv, "paging": {"pageSize": 101}})).status,
            400
        );
        assert_eq!(err(json!({"interval": iv, "segmentFilters": [{"type":"and","predicates":[{"dimension":"purpose","value":"agent"}]}]})).status, 400);
        assert!(parse(br#"{"interval":"2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"}"#).is_ok());
    }
}
