//! Genesys's own inactivity timer on a queue, live: the deadline of an
//! open message conversation and what happens at it.
//!
//! DOCUMENTED (help "Disconnect or reroute inactive messaging
//! conversations"): off by default; reset by a message from either side;
//! the action is a disconnect or a transfer to a flow. UNCONFIRMED, each a
//! [`Rules`] field: which switch counts, whether it runs before an agent
//! connects, which participants carry `disconnectType: "inactivity"`.

use super::conversation::{Conversation, Participant};
use super::queue::{Action, Switch, Timer};
use super::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which open participants a DISCONNECT marks `inactivity` (the others end
/// with `peer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Marks {
    All,
    Agent,
}

/// The UNCONFIRMED choices, from the config.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub switch: Switch,
    /// The timer runs while the conversation waits with no connected agent.
    pub before_agent: bool,
    pub marks: Marks,
    /// `queueInactivityTimeoutMs`: the displayed `inactivityTimeout` of a
    /// conversation on a queue without live settings (never acted on).
    pub fallback_ms: u64,
}

/// The live timers of an org's queues, read once for a request.
pub struct Timers {
    rules: Rules,
    live: HashMap<String, Timer>,
}

fn is_routed(p: &Participant) -> bool {
    !p.is_ended() && p.queue_id.is_some() && matches!(p.purpose.as_str(), "agent" | "acd")
}

impl Timers {
    pub fn of(store: &Store, rules: Rules) -> Timers {
        let live = store
            .queues
            .values()
            .filter_map(|q| Some((q.id.clone(), q.timer(rules.switch)?)))
            .collect();
        Timers { rules, live }
    }

    /// No live timer and no displayed one.
    pub fn none() -> Timers {
        let rules = Rules {
            switch: Switch::Subtype,
            before_agent: false,
            marks: Marks::All,
            fallback_ms: 0,
        };
        Timers {
            rules,
            live: HashMap::new(),
        }
    }

    pub fn any_live(&self) -> bool {
        !self.live.is_empty()
    }

    /// When the queue's timer ends this conversation, and how: the queue of
    /// its newest open agent or acd participant; the timer starts when that
    /// one connected (or, unless `before_agent`, when an agent did) and is
    /// reset by every message.
    pub fn deadline(&self, c: &Conversation) -> Option<(i64, &Timer)> {
        if self.live.is_empty() || c.is_ended() || !c.media.is_message() {
            return None;
        }
        let routed = c
            .participants
            .iter()
            .filter(|p| is_routed(p))
            .max_by_key(|p| p.start_time)?;
        let timer = self.live.get(routed.queue_id.as_deref()?)?;
        let start = if self.rules.before_agent {
            routed.connected_time.unwrap_or(routed.start_time)
        } else {
            c.participants
                .iter()
                .filter(|p| p.purpose == "agent" && p.state == "connected")
                .filter_map(|p| p.connected_time)
                .max()?
        };
        let from = c.last_message_at().map_or(start, |m| m.max(start));
        Some((from.saturating_add(timer.timeout_ms), timer))
    }

    /// `inactivityTimeout` as shown: an explicit one, the live timer's
    /// deadline, else the `queueInactivityTimeoutMs` display.
    pub fn timeout_of(&self, c: &Conversation) -> Option<i64> {
        if c.is_ended() {
            return None;
        }
        c.inactivity_timeout
            .or_else(|| self.deadline(c).map(|(d, _)| d))
            .or_else(|| c.inactivity_timeout(self.rules.fallback_ms))
    }
}

/// Ends what the timers say is due at `now` -> the ids of the conversations
/// changed. `ids` draws fresh ids (a flow's participant and communication).
pub fn reap(
    store: &mut Store,
    timers: &Timers,
    now: i64,
    ids: &mut impl FnMut() -> String,
) -> Vec<String> {
    if !timers.any_live() {
        return vec![];
    }
    let due: Vec<(String, i64, Timer)> = store
        .all_conversations()
        .filter_map(|c| {
            let (at, t) = timers.deadline(c)?;
            (at <= now).then(|| (c.id.clone(), at, t.clone()))
        })
        .collect();
    for (id, at, timer) in &due {
        if let Some(c) = store.conversation_mut(id) {
            time_out(c, timer, *at, timers.rules.marks, ids);
        }
    }
    due.into_iter().map(|(id, _, _)| id).collect()
}

/// The timer's action at `at`. DISCONNECT: every open participant ends,
/// the marked ones with `inactivity`, the rest with `peer`. A flow: the
/// agent and acd participants end with `inactivity` and a `workflow`
/// participant (named after the flow) joins; the customer stays (UNCONFIRMED).
fn time_out(
    c: &mut Conversation,
    timer: &Timer,
    at: i64,
    marks: Marks,
    ids: &mut impl FnMut() -> String,
) {
    match &timer.action {
        Action::Disconnect => {
            for p in &mut c.participants {
                let routed = matches!(p.purpose.as_str(), "agent" | "acd");
                let kind = if marks == Marks::All || routed {
                    "inactivity"
                } else {
                    "peer"
                };
                p.disconnect(at, kind);
            }
        }
        Action::Flow { name, .. } => {
            for p in c
                .participants
                .iter_mut()
                .filter(|p| matches!(p.purpose.as_str(), "agent" | "acd"))
            {
                p.disconnect(at, "inactivity");
            }
            let mut flow = Participant::new(ids(), "workflow", "connected", at, ids());
            flow.name = name.clone().or_else(|| Some("Inactivity flow".into()));
            c.participants.push(flow);
        }
    }
    c.refresh_end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conversation::sample;
    use crate::model::queue::Queue;
    use serde_json::json;

    fn store(action: serde_json::Value) -> Store {
        let mut s = Store::default();
        let body = json!({"mediaSettings": {"message": {
            "subTypeSettings": {"webmessaging": {"enableInactivityTimeout": true}},
            "inactivityTimeoutSettings": action,
        }}});
        let q = Queue::new(
            "q".into(),
            "Q".into(),
            "d".into(),
            body.as_object().unwrap().clone(),
        );
        s.queues.insert("q".into(), q);
        let mut c = sample("c", &["customer", "agent"]);
        c.participants[1].queue_id = Some("q".into());
        c.participants[1].connected_time = Some(100);
        s.insert_conversation(c);
        s
    }

    fn rules(before_agent: bool) -> Rules {
        Rules {
            switch: Switch::Subtype,
            before_agent,
            marks: Marks::Agent,
            fallback_ms: 0,
        }
    }

    #[test]
    fn disconnect_at_the_deadline_reset_by_messages() {
        let mut s = store(json!({"timeoutSeconds": 1, "actionType": "DISCONNECT"}));
        let t = Timers::of(&s, rules(false));
        let c = s.conversation("c").unwrap();
        assert_eq!(t.timeout_of(c), Some(1100), "from the agent's connect");
        s.conversation_mut("c")
            .unwrap()
            .post_message("customer", 500, "m".into())
            .unwrap();
        let t = Timers::of(&s, rules(false));
        assert_eq!(t.timeout_of(s.conversation("c").unwrap()), Some(1500));
        let mut n = 0;
        let mut ids = || {
            n += 1;
            format!("id{n}")
        };
        assert!(reap(&mut s, &t, 1499, &mut ids).is_empty());
        assert_eq!(reap(&mut s, &t, 1500, &mut ids), ["c"]);
        let c = s.conversation("c").unwrap();
        assert!(c.is_ended());
        assert_eq!(c.ended_at, Some(1500));
        let kinds: Vec<_> = c
            .participants
            .iter()
            .map(|p| p.disconnect_type.clone().unwrap())
            .collect();
        assert_eq!(kinds, ["peer", "inactivity"]);
    }

    #[test]
    fn no_agent_no_timer_unless_before_agent_and_flow_keeps_the_customer() {
        let mut s = store(
            json!({"timeoutSeconds": 1, "actionType": "SEND_TO_ARCHITECT_FLOW",
            "flowId": {"id": "f", "name": "Escalate"}}),
        );
        let c = s.conversation_mut("c").unwrap();
        c.participants[1].purpose = "acd".into();
        let t = Timers::of(&s, rules(false));
        assert_eq!(t.deadline(s.conversation("c").unwrap()), None);
        let t = Timers::of(&s, rules(true));
        let mut ids = || "x".to_string();
        assert_eq!(reap(&mut s, &t, 5000, &mut ids), ["c"]);
        let c = s.conversation("c").unwrap();
        assert!(!c.is_ended());
        assert_eq!(c.participants[2].purpose, "workflow");
        assert_eq!(c.participants[2].name.as_deref(), Some("Escalate"));
        assert_eq!(
            c.participants[1].disconnect_type.as_deref(),
            Some("inactivity")
        );
        assert!(
            reap(&mut s, &t, 9000, &mut ids).is_empty(),
            "no queue participant left"
        );
    }
}
