//! The request log (a bounded ring buffer) and the counters behind
//! `/__emulator/stats`. Admin calls are never recorded.

use crate::ground::clock::format_iso;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug)]
pub struct LogEntry {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// `None` when the connection was reset (the client saw no status).
    pub status: Option<u16>,
    /// The Authorization scheme only, never the credential.
    pub auth: Option<&'static str>,
    pub token_kind: Option<&'static str>,
    pub at_ms: i64,
    pub fault: Option<&'static str>,
}

impl LogEntry {
    fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "auth": self.auth,
            "tokenKind": self.token_kind,
            "at": format_iso(self.at_ms),
            "atMs": self.at_ms,
            "fault": self.fault,
        })
    }
}

#[derive(Default, Debug)]
pub struct Stats {
    pub requests: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub rate_limited: u64,
    pub faults_injected: u64,
    pub scripted: u64,
}

pub struct RequestLog {
    entries: VecDeque<LogEntry>,
    limit: usize,
    /// Keeps counting across clears and resets so `since` cursors stay valid.
    next_seq: u64,
    pub stats: Stats,
}

impl RequestLog {
    pub fn new(limit: usize, next_seq: u64) -> Self {
        RequestLog {
            entries: VecDeque::new(),
            limit,
            next_seq,
            stats: Stats::default(),
        }
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        while self.entries.len() > limit {
            self.entries.pop_front();
        }
    }

    /// Records one answered request; `seq` is filled in here.
    pub fn record(&mut self, mut entry: LogEntry) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        self.stats.requests += 1;
        if let Some(s) = entry.status {
            *self.stats.by_status.entry(s).or_default() += 1;
        }
        if self.entries.len() >= self.limit {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries with `seq > since`, oldest first.
    pub fn since_json(&self, since: u64) -> Value {
        let start = self.entries.partition_point(|e| e.seq <= since);
        let list: Vec<Value> = self.entries.range(start..).map(LogEntry::to_json).collect();
        json!({ "requests": list })
    }

    pub fn stats_json(&self) -> Value {
        let by_status: serde_json::Map<String, Value> = self
            .stats
            .by_status
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        json!({
            "requests": self.stats.requests,
            "byStatus": by_status,
            "rateLimited": self.stats.rate_limited,
            "faultsInjected": self.stats.faults_injected,
            "scripted": self.stats.scripted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16) -> LogEntry {
        LogEntry {
            seq: 0,
            method: "GET".into(),
            path: "/api/v2/x".into(),
            query: None,
            status: Some(status),
            auth: Some("Bearer"),
            token_kind: Some("user"),
            at_ms: 0,
            fault: None,
        }
    }

    #[test]
    fn ring_buffer_and_since() {
        let mut log = RequestLog::new(3, 0);
        for s in [200, 200, 404, 429, 200] {
            log.record(entry(s));
        }
        let got = log.since_json(0);
        let seqs: Vec<u64> = got["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(log.since_json(4)["requests"].as_array().unwrap().len(), 1);
        assert_eq!(log.stats_json()["byStatus"]["200"], 3);
        assert_eq!(log.stats_json()["requests"], 5);
        log.clear();
        log.record(entry(200));
        assert_eq!(log.since_json(0)["requests"][0]["seq"], 6);
    }
}
