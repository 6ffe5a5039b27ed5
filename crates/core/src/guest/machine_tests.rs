//! Every row of the outcome table, with no I/O.

use super::*;

const T0: Duration = Duration::from_secs(15);

fn session(new_session: bool, read_only: bool) -> Inbound {
    Inbound::Session {
        connected: true,
        new_session,
        read_only,
        auto_started: false,
    }
}

fn err(code: u32, text: &str) -> Inbound {
    Inbound::Error {
        code,
        text: text.into(),
    }
}

/// Runs `inputs` (each at `at` ms after the start) and returns the frames
/// sent and how the call finished.
fn run(inputs: Vec<(u64, Input)>) -> (Vec<Outbound>, Result<Ended, Error>) {
    let start = Instant::now();
    let mut n = 0;
    let mut m = Machine::new(start, T0, || {
        n += 1;
        format!("t{n}")
    });
    let mut sent = Vec::new();
    let mut all = vec![(0, Input::Opened)];
    all.extend(inputs);
    for (at, input) in all {
        for a in m.step(input, start + Duration::from_millis(at)) {
            match a {
                Action::Send(o, id) => {
                    assert!(id.starts_with('t'));
                    sent.push(o)
                }
                Action::Close => {}
                Action::Finish(r) => return (sent, r),
            }
        }
    }
    panic!("no outcome; sent {sent:?}")
}

fn frame(i: Inbound) -> (u64, Input) {
    (10, Input::Frame(i))
}

fn ok(r: Result<Ended, Error>) -> Ended {
    r.unwrap_or_else(|e| panic!("expected an outcome, got {e:?}"))
}

#[test]
fn closed_after_session_cleared() {
    use Outbound::*;
    let (sent, r) = run(vec![
        frame(session(false, false)),
        frame(Inbound::Other),
        frame(Inbound::SessionCleared),
        frame(Inbound::ConnectionClosed { reason: None }),
    ]);
    assert_eq!(sent, [Configure, Clear]);
    let e = ok(r);
    assert_eq!(e.outcome, GuestOutcome::Closed);
    assert!(e.connection_closed_event && !e.new_session);
    // Without ConnectionClosedEvent: closed after the short wait, or when the socket closes.
    let (_, r) = run(vec![
        frame(session(false, false)),
        frame(Inbound::SessionCleared),
        (1200, Input::Tick),
    ]);
    assert!(!ok(r).connection_closed_event);
    let (_, r) = run(vec![
        frame(session(false, false)),
        frame(Inbound::SessionCleared),
        (20, Input::SocketClosed { code: Some(1000) }),
    ]);
    assert_eq!(ok(r).outcome, GuestOutcome::Closed);
    // Before the wait is over, a tick does nothing.
    let (_, r) = run(vec![
        frame(session(false, false)),
        frame(Inbound::SessionCleared),
        (500, Input::Tick),
        frame(Inbound::ConnectionClosed { reason: None }),
    ]);
    assert!(ok(r).connection_closed_event);
}

#[test]
fn read_only_sends_nothing_more() {
    let (sent, r) = run(vec![frame(session(false, true))]);
    assert_eq!(sent, [Outbound::Configure]);
    let e = ok(r);
    assert_eq!(
        (e.outcome, e.read_only, e.guest_code),
        (GuestOutcome::AlreadyClosed, true, None)
    );
    // Clear answered 409 (the session turned read-only meanwhile).
    let (sent, r) = run(vec![
        frame(session(false, false)),
        frame(err(409, "Session is read-only")),
    ]);
    assert_eq!(sent, [Outbound::Configure, Outbound::Clear]);
    assert_eq!(ok(r).guest_code, Some(409));
}

#[test]
fn a_new_session_is_only_closed_again() {
    let auto = Inbound::Session {
        connected: true,
        new_session: true,
        read_only: false,
        auto_started: true,
    };
    let gone = Inbound::Session {
        connected: false,
        new_session: false,
        read_only: false,
        auto_started: false,
    };
    let (sent, r) = run(vec![frame(auto), frame(Inbound::Other), frame(gone)]);
    assert_eq!(sent, [Outbound::Configure, Outbound::CloseSession]);
    let e = ok(r);
    assert_eq!(
        (e.outcome, e.new_session, e.session_closed, e.auto_started),
        (GuestOutcome::NotFound, true, Some(true), Some(true))
    );
    // No answer to closeSession within 2 s: still notFound, session_closed false.
    let (sent, r) = run(vec![frame(session(true, false)), (2100, Input::Tick)]);
    assert_eq!(sent, [Outbound::Configure, Outbound::CloseSession]);
    assert_eq!(ok(r).session_closed, Some(false));
}

#[test]
fn expired_and_unknown_sessions() {
    for (input, outcome, code) in [
        (Input::Frame(Inbound::Expired), GuestOutcome::Expired, 4006),
        (
            Input::Frame(err(4007, "Session not found.")),
            GuestOutcome::NotFound,
            4007,
        ),
        (
            Input::SocketClosed { code: Some(4006) },
            GuestOutcome::Expired,
            4006,
        ),
        (
            Input::SocketClosed { code: Some(4007) },
            GuestOutcome::NotFound,
            4007,
        ),
    ] {
        // At configure, and after the Clear.
        let (sent, r) = run(vec![(10, input.clone())]);
        assert_eq!(sent, [Outbound::Configure]);
        let e = ok(r);
        assert_eq!((e.outcome, e.guest_code), (outcome, Some(code)));
        let (_, r) = run(vec![frame(session(false, false)), (20, input)]);
        assert_eq!(ok(r).outcome, outcome);
    }
}

#[test]
fn a_disabled_clear_is_forbidden_with_its_advice() {
    let (sent, r) = run(vec![
        frame(session(false, false)),
        frame(err(
            403,
            "Presence events Conversation Clear are not supported",
        )),
    ]);
    assert_eq!(sent, [Outbound::Configure, Outbound::Clear]);
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert_eq!(
        (e.guest_code, e.guest_reason),
        (Some(403), Some(GuestReason::ClearDisabled))
    );
    assert!(
        e.message.contains("conversationClear.enabled")
            && e.message.contains("republish the deployment")
    );
    let (_, r) = run(vec![frame(err(403, "Nope"))]);
    let e = r.unwrap_err();
    assert_eq!((e.code, e.guest_reason), (ErrorCode::Forbidden, None));
}

/// Inputs, then the code, reason and `notAttempted` of the failure.
type Case = (Vec<(u64, Input)>, ErrorCode, Option<GuestReason>, bool);

#[test]
fn failures_are_typed() {
    let cases: Vec<Case> = vec![
        (
            vec![frame(Inbound::RateLimited {
                retry_after_s: Some(3),
            })],
            ErrorCode::RateLimited,
            Some(GuestReason::RateLimited),
            true,
        ),
        (
            vec![frame(Inbound::ConnectionClosed {
                reason: Some("signedIn".into()),
            })],
            ErrorCode::Upstream,
            Some(GuestReason::ConnectionClosed),
            true,
        ),
        (
            vec![
                frame(session(false, false)),
                frame(Inbound::ConnectionClosed { reason: None }),
            ],
            ErrorCode::Upstream,
            Some(GuestReason::ConnectionClosed),
            false,
        ),
        (
            vec![frame(err(5000, "Request failed."))],
            ErrorCode::Upstream,
            None,
            true,
        ),
        (
            vec![frame(Inbound::Unreadable)],
            ErrorCode::Upstream,
            Some(GuestReason::Protocol),
            true,
        ),
        (
            vec![(10, Input::SocketClosed { code: Some(1011) })],
            ErrorCode::Network,
            None,
            true,
        ),
        (
            vec![(10, Input::SocketClosed { code: None })],
            ErrorCode::Network,
            None,
            true,
        ),
        (vec![(15_000, Input::Tick)], ErrorCode::Timeout, None, true),
        (
            vec![frame(session(false, false)), (15_000, Input::Tick)],
            ErrorCode::Timeout,
            None,
            false,
        ),
        (vec![(10, Input::Aborted)], ErrorCode::Aborted, None, true),
        (
            vec![frame(session(false, false)), (20, Input::Aborted)],
            ErrorCode::Aborted,
            None,
            false,
        ),
        (
            vec![(
                10,
                Input::Frame(Inbound::Session {
                    connected: false,
                    new_session: false,
                    read_only: false,
                    auto_started: false,
                }),
            )],
            ErrorCode::Upstream,
            Some(GuestReason::Protocol),
            true,
        ),
    ];
    for (inputs, code, reason, not_attempted) in cases {
        let shown = format!("{inputs:?}");
        let e = run(inputs).1.unwrap_err();
        assert_eq!(
            (e.code, e.guest_reason, e.not_attempted),
            (code, reason, not_attempted),
            "{shown}: {}",
            e.message
        );
    }
}

#[test]
fn rate_limits_carry_the_wait_and_timeouts_name_the_phase() {
    let e = run(vec![frame(Inbound::RateLimited {
        retry_after_s: Some(3),
    })])
    .1
    .unwrap_err();
    assert_eq!((e.retry_after_ms, e.guest_code), (Some(3000), Some(4029)));
    let e = run(vec![(15_000, Input::Tick)]).1.unwrap_err();
    assert!(
        e.message.contains("configureSession") && e.message.contains("15000 ms"),
        "{}",
        e.message
    );
    let e = run(vec![frame(session(false, false)), (15_000, Input::Tick)])
        .1
        .unwrap_err();
    assert!(
        e.message.contains("Presence Clear was sent"),
        "{}",
        e.message
    );
    let e = run(vec![frame(session(true, false)), (20, Input::Aborted)])
        .1
        .unwrap_err();
    assert!(
        e.message.contains("closeSession") && e.message.contains("nothing that ends"),
        "{}",
        e.message
    );
}

#[test]
fn a_flood_of_frames_is_cut_off() {
    let mut inputs = vec![frame(session(false, false))];
    inputs.extend((0..MAX_FRAMES).map(|_| frame(Inbound::Other)));
    let e = run(inputs).1.unwrap_err();
    assert_eq!(
        (e.code, e.guest_reason),
        (ErrorCode::Upstream, Some(GuestReason::Protocol))
    );
}

#[test]
fn the_next_deadline_is_the_sooner_one() {
    let start = Instant::now();
    let mut m = Machine::new(start, T0, String::new);
    assert_eq!(m.next_deadline(), start + T0);
    m.step(Input::Opened, start);
    m.step(Input::Frame(session(true, false)), start);
    assert_eq!(m.next_deadline(), start + CLOSE_SESSION_WAIT);
    assert!(!m.clear_sent());
    // Done: nothing more happens.
    m.step(Input::Aborted, start);
    assert!(m.step(Input::Opened, start).is_empty());
}
