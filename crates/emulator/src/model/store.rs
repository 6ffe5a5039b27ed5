//! The store: the org's entities and its conversations, with conversations
//! also indexed by start time.
//!
//! Everything lives in one store inside the app state, behind one mutex:
//! every operation is a few hash lookups, so a single lock is simpler and
//! faster than finer-grained locking at the request rates we need.

use super::conversation::Conversation;
use super::deployment::{Deployment, GuestSession};
use super::org::{Client, Division, Grant, Role, Token, User};
use super::queue::Queue;
use crate::ground::ids::HOME_DIVISION_ID;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Organisation data, tokens and conversations.
#[derive(Default)]
pub struct Store {
    /// By id, in id order (the Home division is seeded).
    pub divisions: BTreeMap<String, Division>,
    pub roles: HashMap<String, Role>,
    pub clients: HashMap<String, Client>,
    pub users: HashMap<String, User>,
    pub tokens: HashMap<String, Token>,
    /// By id; listed sorted by name.
    pub queues: HashMap<String, Queue>,
    /// Messenger deployments, by id.
    pub deployments: HashMap<String, Deployment>,
    /// Guest sessions of the Web Messaging Guest API, by guest token.
    pub guest_sessions: HashMap<String, GuestSession>,
    conversations: HashMap<String, Conversation>,
    /// Conversations ordered by start time: analytics walks an interval of
    /// this without sorting.
    by_start: BTreeSet<(i64, String)>,
}

impl Store {
    pub fn conversation(&self, id: &str) -> Option<&Conversation> {
        self.conversations.get(id)
    }

    pub fn conversation_mut(&mut self, id: &str) -> Option<&mut Conversation> {
        self.conversations.get_mut(id)
    }

    /// Only message conversations: the `/conversations/messages` family 404s for voice.
    pub fn message_conversation_mut(&mut self, id: &str) -> Option<&mut Conversation> {
        self.conversations
            .get_mut(id)
            .filter(|c| c.media.is_message())
    }

    /// Inserts or replaces (by id).
    pub fn insert_conversation(&mut self, mut conv: Conversation) {
        conv.refresh_end();
        if let Some(old) = self.conversations.remove(&conv.id) {
            self.by_start.remove(&(old.started_at, old.id));
        }
        self.by_start.insert((conv.started_at, conv.id.clone()));
        self.conversations.insert(conv.id.clone(), conv);
    }

    pub fn conversation_count(&self) -> usize {
        self.conversations.len()
    }

    /// Conversations in start order (ties by id), optionally reversed,
    /// that started in `[from, to)`.
    pub fn conversations_started_in(
        &self,
        from: i64,
        to: i64,
        descending: bool,
    ) -> Box<dyn Iterator<Item = &Conversation> + '_> {
        use std::ops::Bound::{Excluded, Included};
        let range = self.by_start.range((
            Included((from, String::new())),
            Excluded((to, String::new())),
        ));
        let lookup = move |(_, id): &(i64, String)| &self.conversations[id];
        if descending {
            Box::new(range.rev().map(lookup))
        } else {
            Box::new(range.map(lookup))
        }
    }

    pub fn all_conversations(&self) -> impl Iterator<Item = &Conversation> + '_ {
        self.by_start.iter().map(|(_, id)| &self.conversations[id])
    }

    /// Each permission of these grants with the division it is held in
    /// (unknown roles are skipped; a permission held in several divisions
    /// appears once per division).
    pub fn permission_grants(&self, grants: &[Grant]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for g in grants {
            let Some(role) = self.roles.get(&g.role_id) else {
                continue;
            };
            for p in &role.permissions {
                let pair = (p.clone(), g.division_id.clone());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
        out
    }

    /// The divisions of a new conversation when its spec names none: those
    /// of the queues its participants were routed through, else Home.
    pub fn divisions_of_queues(&self, conv: &Conversation) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for q in conv.participants.iter().filter_map(|p| p.queue_id.as_ref()) {
            if let Some(d) = self.queues.get(q).map(|q| &q.division_id) {
                if !out.contains(d) {
                    out.push(d.clone());
                }
            }
        }
        if out.is_empty() {
            out.push(HOME_DIVISION_ID.to_string());
        }
        out
    }

    /// Union of the permissions of these roles (unknown role ids are skipped).
    pub fn permissions_of(&self, role_ids: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in role_ids
            .iter()
            .filter_map(|r| self.roles.get(r))
            .flat_map(|r| r.permissions.iter())
        {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conversation::sample;

    #[test]
    fn index_orders_by_start() {
        let mut s = Store::default();
        for (id, t) in [("b", 5), ("a", 5), ("c", 1), ("d", 9)] {
            let mut c = sample(id, &["customer"]);
            c.started_at = t;
            s.insert_conversation(c);
        }
        let ids: Vec<_> = s
            .conversations_started_in(1, 9, false)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids, ["c", "a", "b"]);
        let ids: Vec<_> = s
            .conversations_started_in(0, 100, true)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids, ["d", "b", "a", "c"]);
        // Replacing keeps one index entry.
        let mut c = sample("d", &["customer"]);
        c.started_at = 0;
        s.insert_conversation(c);
        assert_eq!(s.all_conversations().count(), 4);
        assert_eq!(s.all_conversations().next().unwrap().id, "d");
    }
}
