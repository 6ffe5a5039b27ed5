//! Any bytes Genesys (or a proxy in front of it) may answer with, under any
//! status, must map to a typed error without panicking, and the message must
//! stay bounded-ish and name the code we chose.
#![no_main]

use genesys_cleanup_core::genesys::api_error::{bracketed_list, from_response, retry_seconds_from_message, Context, ErrorBody, Principal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = 100 + (u16::from_le_bytes([data[0], data[1]]) % 500);
    let body = &data[2..];
    let principal = Principal::OAuthClient("fuzz-client".into());
    let ctx = Context { action: "fuzzing", principal: &principal };
    let err = from_response(status, body, None, &ctx);
    assert_eq!(err.status, Some(status));
    let parsed = ErrorBody::parse(body);
    if let Some(text) = parsed.text() {
        let _ = bracketed_list(text);
        let _ = retry_seconds_from_message(text);
    }
});
