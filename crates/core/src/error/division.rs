//! A division as errors and reports carry it: `{id, name?}`, bounded. It sits
//! here, on the ground floor, because `Error` carries divisions; what a
//! token holds in which division is `genesys::divisions`.

use crate::text::{bound_text, bound_token};
use serde::Serialize;

/// The division id of a grant in every division, present and future.
pub const ALL_DIVISIONS: &str = "*";
/// The longest division name kept (a hostile answer cannot fill each result).
const MAX_NAME: usize = 200;
/// A division: `{id, name?}` (the name when the API gave it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Division {
    /// The division id; `*` for every division.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Division {
    /// Bounded: the id keeps identifier characters only, the name is cut.
    pub fn new(id: &str, name: Option<&str>) -> Division {
        Division {
            id: if id == ALL_DIVISIONS {
                ALL_DIVISIONS.into()
            } else {
                bound_token(id)
            },
            name: name
                .map(|n| bound_text(n, MAX_NAME))
                .filter(|n| !n.trim().is_empty()),
        }
    }

    pub fn is_all(&self) -> bool {
        self.id == ALL_DIVISIONS
    }

    /// `Sales (id)`, the id alone when no name is known, `all divisions` for `*`.
    pub fn label(&self) -> String {
        if self.is_all() {
            return "all divisions".into();
        }
        match &self.name {
            Some(n) if *n != self.id => format!("{n} ({})", self.id),
            _ => self.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_and_ids_are_bounded() {
        let x = Division::new("a/../b\u{0}", Some(&"n".repeat(10_000)));
        assert_eq!(x.id, "a");
        assert!(x.name.unwrap().len() <= MAX_NAME + 3);
        assert_eq!(Division::new("x", Some("  ")).name, None);
    }
}
