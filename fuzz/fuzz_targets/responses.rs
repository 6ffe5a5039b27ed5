//! The response parsers and the decisions taken on what they parse: a hostile
//! or broken answer must never panic, and an id taken from it must never be
//! able to change a request path.
#![no_main]

use genesys_cleanup_core::genesys::activity;
use genesys_cleanup_core::close::{decide, CloseOptions, Decision};
use genesys_cleanup_core::discover::{candidates_in_page, parse_page};
use genesys_cleanup_core::genesys::ids;
use genesys_cleanup_core::genesys::model::{MessageConversation, Role, TokenInfo, UserMe};
use genesys_cleanup_core::genesys::patch_answer::ConversationSummary;
use genesys_cleanup_core::watch::channel::check_connect_uri;
use genesys_cleanup_core::watch::frame::{self, Frame};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, SystemTime};

fuzz_target!(|data: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    if let Ok(conv) = serde_json::from_slice::<MessageConversation>(data) {
        // The idle guard reads any timestamps without panicking, whatever they say.
        let a = activity::activity(&conv);
        let _ = activity::idleness(&a, now, Duration::from_secs(60));
        let guarded = CloseOptions {
            idle_for: Some(Duration::from_secs(60)),
            ..CloseOptions::default()
        };
        let _ = decide(&conv, &guarded, now);
        if let Decision::End { wrapup, open } = decide(&conv, &CloseOptions::default(), now) {
            for pid in wrapup.iter().chain(&open) {
                if let Ok(safe) = ids::from_response("participant", pid) {
                    assert!(safe.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
                }
            }
        }
    }
    // The PATCH answer's hand-written lenient reader: any shape, no panic,
    // at most one activity time kept.
    if let Ok(summary) = serde_json::from_slice::<ConversationSummary>(data) {
        assert!(summary.activity_times().count() <= 1);
        let _ = summary.participant_count();
    }
    let _ = serde_json::from_slice::<TokenInfo>(data);
    let _ = serde_json::from_slice::<UserMe>(data);
    if let Ok(role) = serde_json::from_slice::<Role>(data) {
        let _ = role.all_permissions();
    }
    if let Some(page) = parse_page(data) {
        let (open, nominated) = candidates_in_page(&page, now, Duration::from_secs(60));
        assert!(nominated.len() as u32 <= open);
        for c in nominated {
            assert!(ids::is_uuid(&c.conversation_id));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = ids::conversation_id(text) {
            assert_eq!(id.len(), 36);
        }
        // A notification frame (watch mode): classified without panicking; a
        // conversation id taken from it is a UUID.
        if let Frame::Conversation(e) = frame::parse(text, &["webmessaging".to_string()]) {
            assert!(ids::is_uuid(&e.id));
        }
        // A connectUri from the server: accepted only as ws(s) to a vetted host.
        if let Ok(url) = check_connect_uri(text, "https://api.mypurecloud.com") {
            assert_eq!(url.scheme(), "wss");
        }
    }
});
