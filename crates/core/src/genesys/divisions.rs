//! Division-scoped permissions. Genesys grants a role in a division (or in
//! every division, `*`), and a conversation belongs to divisions
//! (`MessageConversation.divisions[]`). A permission held in "Home" passes
//! the nil-id probe but not a conversation routed through a queue in another
//! division. Pure: what the token holds where, whether that reaches a
//! conversation, and the words for it.

use crate::error::division::ALL_DIVISIONS;
use crate::error::Division;
use crate::genesys::permissions::permission_covers;
use serde::Serialize;

/// The most divisions kept from one list.
pub const MAX_DIVISIONS: usize = 200;

/// `division Sales (id)` or `divisions A (id), B (id)`.
pub fn describe(divisions: &[Division]) -> String {
    let labels: Vec<String> = divisions.iter().map(Division::label).collect();
    match labels.as_slice() {
        [one] if divisions[0].is_all() => one.clone(),
        [one] => format!("division {one}"),
        _ => format!("divisions {}", labels.join(", ")),
    }
}

/// One role granted in one division, with the role's permissions.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldGrant {
    pub division: Division,
    pub permissions: Vec<String>,
}

/// Every role grant of the token, with its division: where each permission
/// is held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holdings {
    pub grants: Vec<HeldGrant>,
}

/// Where any one of some permissions is held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Held in every division (`*`).
    pub all: bool,
    /// The divisions, each once (without `*`).
    pub divisions: Vec<Division>,
}

/// One permission and the divisions it is held in (`checkScopes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldPermission {
    pub permission: String,
    /// Held in every division (a `*` grant).
    pub all_divisions: bool,
    /// The divisions it is held in (empty with `allDivisions`, or when not held).
    pub divisions: Vec<Division>,
}

impl Holdings {
    /// Where any one of `wanted` is held.
    pub fn reach<S: AsRef<str>>(&self, wanted: &[S]) -> Reach {
        let mut reach = Reach::default();
        for g in &self.grants {
            let covers = wanted.iter().any(|w| {
                g.permissions
                    .iter()
                    .any(|p| permission_covers(p, w.as_ref()))
            });
            if !covers {
                continue;
            }
            if g.division.is_all() {
                reach.all = true;
            } else if !reach.divisions.iter().any(|d| d.id == g.division.id)
                && reach.divisions.len() < MAX_DIVISIONS
            {
                reach.divisions.push(g.division.clone());
            }
        }
        reach
    }

    /// Each of `wanted` with where it is held.
    pub fn per_permission(&self, wanted: &[&str]) -> Vec<HeldPermission> {
        wanted
            .iter()
            .map(|w| {
                let r = self.reach(&[w]);
                HeldPermission {
                    permission: w.to_string(),
                    all_divisions: r.all,
                    divisions: if r.all { Vec::new() } else { r.divisions },
                }
            })
            .collect()
    }
}

impl Reach {
    /// Held nowhere.
    pub fn is_empty(&self) -> bool {
        !self.all && self.divisions.is_empty()
    }

    /// Held in one of these divisions (or in all). UNCONFIRMED: that one
    /// shared division is enough when a conversation is in several.
    pub fn reaches(&self, conversation: &[Division]) -> bool {
        self.all
            || conversation
                .iter()
                .any(|c| self.divisions.iter().any(|d| d.id == c.id))
    }

    /// The divisions, named where `known` names them (a conversation's
    /// divisions carry names; a client's role/division pairs only ids).
    pub fn named_from(mut self, known: &[Division]) -> Reach {
        for d in &mut self.divisions {
            if d.name.is_none() {
                d.name = known
                    .iter()
                    .find(|k| k.id == d.id)
                    .and_then(|k| k.name.clone());
            }
        }
        self
    }

    /// As a list for errors: `*` stands for every division.
    pub fn as_list(&self) -> Vec<Division> {
        if self.all {
            vec![Division::new(ALL_DIVISIONS, None)]
        } else {
            self.divisions.clone()
        }
    }

    /// `all divisions`, `division Home (id)`, `divisions A, B`.
    pub fn describe(&self) -> String {
        describe(&self.as_list())
    }
}

/// Where to grant a role in a division, for both kinds of token.
pub const GRANT_IN_DIVISION: &str = "for a user, Admin > People > the user > Roles, with that division ticked; for an OAuth client, add the role with that division to the client's role/division pairs (Admin > Integrations > OAuth > the client > Roles)";

/// The sentence for a conversation the token may not end because its
/// permission is held only in other divisions.
pub fn out_of_reach(conversation_id: &str, conversation: &[Division], held: &Reach) -> String {
    let target = match conversation {
        [one] => format!("division {}", one.label()),
        _ => format!("one of its divisions ({})", labels(conversation)),
    };
    format!(
        "Conversation {conversation_id} belongs to {}, but this token holds the permission to end conversations (conversation:communication:disconnect or another that ends them) only in {}. Grant the role holding conversation:communication:disconnect in {target}: {GRANT_IN_DIVISION}.",
        describe(conversation),
        held.describe(),
    )
}

fn labels(divisions: &[Division]) -> String {
    divisions
        .iter()
        .map(Division::label)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, name: Option<&str>) -> Division {
        Division::new(id, name)
    }

    fn grant(division: &str, perms: &[&str]) -> HeldGrant {
        HeldGrant {
            division: d(division, None),
            permissions: perms.iter().map(|s| s.to_string()).collect(),
        }
    }

    const END: [&str; 2] = [
        "conversation:communication:disconnect",
        "conversation:message:park",
    ];

    #[test]
    fn reach_per_division() {
        let h = Holdings {
            grants: vec![
                grant("home", &["conversation:communication:disconnect"]),
                grant("sales", &["conversation:communication:view"]),
                grant("home", &["conversation:*:*"]),
                grant("support", &["conversation:message:park"]),
            ],
        };
        let r = h.reach(&END);
        assert!(!r.all);
        let ids: Vec<&str> = r.divisions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["home", "support"], "each division once, in order");
        assert!(r.reaches(&[d("sales", None), d("home", None)]));
        assert!(!r.reaches(&[d("sales", None)]));
        assert!(!r.reaches(&[]));
        let held = h.per_permission(&END);
        assert_eq!(held[0].divisions, [d("home", None)]);
        assert_eq!(held[1].divisions, [d("home", None), d("support", None)]);
        assert!(Holdings::default().reach(&END).is_empty());
    }

    #[test]
    fn all_divisions_reach_everything() {
        let h = Holdings {
            grants: vec![
                grant("home", &["conversation:communication:disconnect"]),
                grant("*", &["conversation:communication:disconnect"]),
            ],
        };
        let r = h.reach(&END);
        assert!(r.all && r.reaches(&[d("anything", None)]));
        assert_eq!(r.describe(), "all divisions");
        assert_eq!(r.as_list(), [d("*", None)]);
        let held = h.per_permission(&END[..1]);
        assert!(held[0].all_divisions && held[0].divisions.is_empty());
    }

    #[test]
    fn words() {
        let r = Reach {
            all: false,
            divisions: vec![d("h1", None)],
        }
        .named_from(&[d("h1", Some("Home"))]);
        assert_eq!(r.describe(), "division Home (h1)");
        let conv = [d("s1", Some("Sales"))];
        let m = out_of_reach("c-1", &conv, &r);
        assert!(m.contains("belongs to division Sales (s1)"), "{m}");
        assert!(m.contains("only in division Home (h1)"), "{m}");
        assert!(m.contains("in division Sales (s1)"), "{m}");
        assert!(m.contains("Admin > Integrations > OAuth"), "{m}");
        let two = [d("s1", Some("Sales")), d("s2", None)];
        assert!(out_of_reach("c", &two, &r).contains("divisions Sales (s1), s2"));
    }
}
