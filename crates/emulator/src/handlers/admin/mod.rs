//! `/__emulator/...`: test control. No auth, never logged, plain
//! `{"error": "..."}` bodies on bad input.
//!
//! - `answer`: those error bodies and reading a JSON body;
//! - `control`: health, reset, the config, the request log and stats, scripts;
//! - `org`: divisions, roles, queues, OAuth clients, users, tokens;
//! - `conversations`: one from a spec, messages, transfers, random seeding;
//! - `notifications`: the channels' view and the socket and event faults;
//! - `orgs`: isolated orgs, each a whole emulator on its own port;
//! - `guest`: Messenger deployments, guest sessions, the Guest API's mute
//!   switch and connection counts.

pub mod answer;
pub mod control;
pub mod conversations;
pub mod guest;
pub mod notifications;
pub mod org;
pub mod orgs;
