use super::state::SMOOTH_SHARE;
use super::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::VecDeque;

fn h(allowed: u32, count: u32, reset: f64) -> RateLimitHeaders {
    RateLimitHeaders {
        allowed: Some(allowed),
        count: Some(count),
        reset_secs: Some(reset),
    }
}

/// A budget whose first request was answered with `headers` at `t0`.
fn taught(headers: RateLimitHeaders) -> (RateBudget, Instant) {
    let b = RateBudget::default();
    let t0 = Instant::now();
    let t = go(b.reserve(t0));
    b.observe(t, headers, false, t0);
    (b, t0)
}

fn go(d: Decision) -> Ticket {
    match d {
        Decision::Go(t) => t,
        other => panic!("expected Go, got {other:?}"),
    }
}

fn wait(d: Decision) -> (Instant, WaitReason) {
    match d {
        Decision::Wait { until, reason } => (until, reason),
        other => panic!("expected Wait, got {other:?}"),
    }
}

#[test]
fn headers_are_bounded() {
    let b = RateLimitHeaders::bounded;
    for (input, want) in [
        (
            (Some(300.0), Some(5.0), Some(42.0)),
            (Some(300), Some(5), Some(42.0)),
        ),
        // 0, fractional, negative, above MAX_ALLOWED: not a limit we follow.
        ((Some(0.0), None, None), (None, None, None)),
        ((Some(1.5), None, None), (None, None, None)),
        ((Some(-3.0), Some(-1.0), Some(-1.0)), (None, None, None)),
        ((Some(1e6), Some(2e9), None), (None, None, None)),
        // A reset over a day is clamped to a day.
        ((None, None, Some(1e12)), (None, None, Some(MAX_RESET_SECS))),
        (
            (Some(1.0), Some(1.0), Some(3600.0)),
            (Some(1), Some(1), Some(3600.0)),
        ),
    ] {
        let got = b(input.0, input.1, input.2);
        assert_eq!((got.allowed, got.count, got.reset_secs), want, "{input:?}");
    }
    let mut map = reqwest::header::HeaderMap::new();
    map.insert("inin-ratelimit-allowed", "abc".parse().unwrap());
    map.insert("inin-ratelimit-count", " 7 ".parse().unwrap());
    map.insert("inin-ratelimit-reset", "NaN".parse().unwrap());
    assert_eq!(
        RateLimitHeaders::from_headers(&map),
        RateLimitHeaders {
            allowed: None,
            count: Some(7),
            reset_secs: None
        }
    );
}

#[test]
fn one_request_at_a_time_until_the_limit_is_known_then_no_wait() {
    let b = RateBudget::default();
    let t0 = Instant::now();
    let first = go(b.reserve(t0));
    assert_eq!(wait(b.reserve(t0)).1, WaitReason::Budget);
    b.observe(first, h(300, 1, 60.0), false, t0 + Duration::from_millis(1));
    // 300 a minute, 1 used, a reserve of 3: 148 may start at once, none waits.
    let now = t0 + Duration::from_millis(1);
    for i in 0..148 {
        assert!(matches!(b.reserve(now), Decision::Go(_)), "request {i}");
    }
    assert!(matches!(b.reserve(now), Decision::Wait { .. }));
}

#[test]
fn without_headers_nothing_is_paced() {
    let b = RateBudget::default();
    let t0 = Instant::now();
    let first = go(b.reserve(t0));
    b.observe(first, RateLimitHeaders::default(), false, t0);
    for _ in 0..1000 {
        go(b.reserve(t0));
    }
}

#[test]
fn sequential_requests_on_an_idle_client_never_wait() {
    let b = RateBudget::default();
    let mut now = Instant::now();
    for i in 0..200u32 {
        let t = go(b.reserve(now));
        now += Duration::from_millis(2);
        b.observe(t, h(300, i + 1, 60.0 - f64::from(i) * 0.002), false, now);
    }
}

#[test]
fn a_spent_window_waits_for_the_envelope_then_probes_once() {
    let (b, t0) = taught(h(10, 10, 2.0));
    let (until, reason) = wait(b.reserve(t0));
    assert_eq!(
        (until, reason),
        (t0 + Duration::from_secs(2), WaitReason::Budget)
    );
    let at = t0 + Duration::from_secs(2);
    let probe = go(b.reserve(at));
    // Only one probe until it is answered.
    assert_eq!(wait(b.reserve(at)).1, WaitReason::Budget);
    // The count dropped: the window turned, the budget is back at once (a
    // quarter of it at a time: someone else had used the first window).
    b.observe(probe, h(10, 1, 2.0), false, at);
    for _ in 0..3 {
        go(b.reserve(at));
    }
    assert_eq!(wait(b.reserve(at)).1, WaitReason::Budget);
}

#[test]
fn a_boundary_429_teaches_that_reset_is_rounded_down() {
    let secs = Duration::from_secs;
    let (b, t0) = taught(h(5, 5, 10.0));
    // Spent: the envelope says the window has turned by t0 + 10 (if rounded up).
    assert_eq!(wait(b.reserve(t0)).0, t0 + secs(10));
    let probe = go(b.reserve(t0 + secs(10)));
    // It had not: `reset` is rounded down.
    b.observe(probe, h(5, 6, 0.0), true, t0 + secs(10));
    b.pause(secs(1), t0 + secs(10));
    assert_eq!(wait(b.reserve(t0 + secs(10))).1, WaitReason::Paused);
    let probe = go(b.reserve(t0 + secs(11)));
    b.observe(probe, h(5, 5, 4.0), false, t0 + secs(11));
    // From now on the envelope is read one second later.
    assert_eq!(
        wait(b.reserve(t0 + secs(11))),
        (t0 + secs(16), WaitReason::Budget)
    );
    assert!(!b.is_smoothing());
}

#[test]
fn the_one_hour_header_asks_for_an_hour_and_allowed_1_for_the_window() {
    for (reset, want) in [(3600.0, 3600), (60.0, 60)] {
        let (b, t0) = taught(h(1, 1, reset));
        let (until, reason) = wait(b.reserve(t0));
        assert_eq!(reason, WaitReason::Budget);
        // The transport compares this with maxRetryAfterMs and fails fast.
        assert_eq!(until - t0, Duration::from_secs(want));
    }
}

#[test]
fn other_users_of_the_token_shrink_the_budget() {
    // Our first request already sees 90 of 100 used by someone else.
    let (b, t0) = taught(h(100, 91, 50.0));
    // 100 - 1 reserve - 91 = 8 free, shared: 2 at once, then wait for answers.
    let tickets: Vec<Ticket> = (0..2).map(|_| go(b.reserve(t0))).collect();
    assert_eq!(wait(b.reserve(t0)).1, WaitReason::Budget);
    b.observe(tickets[0], h(100, 93, 50.0), false, t0);
    b.observe(tickets[1], h(100, 95, 50.0), false, t0);
    // 3 free: one at a time.
    let tickets: Vec<Ticket> = (0..1).map(|_| go(b.reserve(t0))).collect();
    assert_eq!(wait(b.reserve(t0)).1, WaitReason::Budget);
    for t in tickets {
        b.observe(t, h(100, 99, 50.0), false, t0);
    }
    // 99 used: the budget is spent until the window turns.
    let (until, _) = wait(b.reserve(t0));
    assert_eq!(until, t0 + Duration::from_secs(50));
}

#[test]
fn answers_counted_out_of_sending_order_keep_the_largest_count() {
    let (b, t0) = taught(h(100, 1, 60.0));
    let first = go(b.reserve(t0));
    let second = go(b.reserve(t0));
    // The second was counted first; the first's answer (count 98) arrives last.
    b.observe(second, h(100, 97, 60.0), false, t0);
    b.observe(first, h(100, 98, 60.0), false, t0);
    assert_eq!(b.lock().count, 98);
}

#[test]
fn a_pause_stops_everyone() {
    let b = RateBudget::default();
    let now = Instant::now();
    b.pause(Duration::from_secs(3), now);
    assert_eq!(
        wait(b.reserve(now)),
        (now + Duration::from_secs(3), WaitReason::Paused)
    );
    go(b.reserve(now + Duration::from_secs(3)));
}

#[test]
fn smooth_pacing_spaces_requests_evenly() {
    let b = RateBudget::new(Pacing::Smooth);
    let t0 = Instant::now();
    let t = go(b.reserve(t0));
    b.observe(t, h(600, 1, 60.0), false, t0);
    // 600 per 60 s at 98%: one every ~102 ms; the unpaced first used a slot.
    let mut now = t0;
    let mut starts = vec![];
    for _ in 0..10 {
        loop {
            match b.reserve(now) {
                Decision::Go(_) => break,
                Decision::Wait { until, reason } => {
                    assert_eq!(reason, WaitReason::Smoothing);
                    now = until;
                }
            }
        }
        starts.push(now);
    }
    let step = starts[1] - starts[0];
    assert!(
        step > Duration::from_millis(100) && step < Duration::from_millis(104),
        "{step:?}"
    );
}

#[test]
fn unexpected_429s_fall_back_to_even_spacing() {
    let (b, t0) = taught(h(100, 1, 10.0));
    for _ in 0..3 {
        let t = go(b.reserve(t0));
        b.observe(t, h(100, 2, 10.0), true, t0);
        // Not a probe: the budget thought there was room.
        let mut s = b.lock();
        s.count = 1;
    }
    assert!(b.is_smoothing());
}

// ---------------------------------------------------------------- simulation
//
// A server model in every limiter mode the emulator has, and a client of K
// workers that each start a request when the budget says so. Time is in
// microseconds of a fake clock. Checks: every request eventually accepted,
// no window ever over the limit (the server refuses the excess, so that is
// the number of 429s: at most the two that teach the rounding and the window),
// and the run within 10% of the window-optimal time.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Fixed,
    Aligned,
    Sliding,
}

struct Server {
    mode: Mode,
    up: bool,
    limit: u32,
    window: u64,
    /// Aligned windows start at multiples of `window` from this (a phase).
    epoch: u64,
    start: Option<u64>,
    count: u32,
    log: VecDeque<u64>,
    /// Requests counted in each window (fixed, aligned), to check the limit.
    accepted_per_window: Vec<u32>,
}

impl Server {
    fn new(mode: Mode, up: bool, limit: u32, window: u64, phase: u64) -> Self {
        Server {
            mode,
            up,
            limit,
            window,
            epoch: phase,
            start: None,
            count: 0,
            log: VecDeque::new(),
            accepted_per_window: vec![],
        }
    }

    fn round(&self, left_us: u64) -> f64 {
        let s = left_us as f64 / 1e6;
        if self.up {
            s.ceil()
        } else {
            s.floor()
        }
    }

    /// (limited, headers, retry-after seconds)
    fn hit(&mut self, now: u64) -> (bool, RateLimitHeaders, f64) {
        let (limited, count, left) = match self.mode {
            Mode::Fixed | Mode::Aligned => {
                let start = match self.mode {
                    Mode::Fixed => match self.start {
                        Some(s) if now < s + self.window => s,
                        _ => now,
                    },
                    // An aligned window can start before the test clock's
                    // zero: wrap, as the window's end below wraps back.
                    _ => now
                        .wrapping_sub((now + self.window - self.epoch % self.window) % self.window),
                };
                if self.start != Some(start) {
                    self.start = Some(start);
                    self.count = 0;
                    self.accepted_per_window.push(0);
                }
                self.count += 1;
                let limited = self.count > self.limit;
                if !limited {
                    *self.accepted_per_window.last_mut().unwrap() += 1;
                }
                (
                    limited,
                    self.count,
                    start.wrapping_add(self.window).wrapping_sub(now),
                )
            }
            Mode::Sliding => {
                while self.log.front().is_some_and(|t| t + self.window <= now) {
                    self.log.pop_front();
                }
                let limited = self.log.len() as u32 >= self.limit;
                if !limited {
                    self.log.push_back(now);
                }
                let count = self.log.len() as u32 + u32::from(limited);
                (
                    limited,
                    count,
                    self.log.front().unwrap() + self.window - now,
                )
            }
        };
        let reset = self.round(left);
        (limited, h(self.limit, count, reset), reset.max(1.0))
    }
}

struct Run {
    elapsed_us: u64,
    limited: u32,
    optimal_us: u64,
}

/// `clients` budgets (processes) share the token; worker `w` belongs to client `w % clients`.
#[allow(clippy::too_many_arguments)]
fn simulate_shared(
    mode: Mode,
    up: bool,
    limit: u32,
    window_s: u64,
    requests: u32,
    workers: u32,
    phase: u64,
    clients: u32,
) -> Run {
    let window = window_s * 1_000_000;
    let latency = 400u64; // one way, µs
    let mut server = Server::new(mode, up, limit, window, phase);
    let budgets: Vec<RateBudget> = (0..clients).map(|_| RateBudget::default()).collect();
    let base = Instant::now();
    let at = |t: u64| base + Duration::from_micros(t);
    // Events: (time, worker, Some(ticket, arrival) = an answer due).
    let mut heap: BinaryHeap<Reverse<(u64, u32, u64)>> = BinaryHeap::new();
    let mut pending: Vec<Option<(Ticket, u64)>> = vec![None; workers as usize];
    for w in 0..workers {
        heap.push(Reverse((0, w, 0)));
    }
    let mut done = 0u32;
    let mut started = 0u32;
    let mut limited = 0u32;
    let mut now = 0u64;
    let mut first_accept: Option<u64> = None;
    let mut steps = 0u64;
    while let Some(Reverse((t, w, _))) = heap.pop() {
        steps += 1;
        assert!(
            steps < 5_000_000,
            "simulation does not converge ({mode:?}, up {up})"
        );
        now = t;
        let b = &budgets[(w % clients) as usize];
        if let Some((ticket, arrival)) = pending[w as usize].take() {
            let (is_limited, headers, retry_after) = server.hit(arrival);
            b.observe(ticket, headers, is_limited, at(now));
            if is_limited {
                limited += 1;
                b.pause(Duration::from_secs_f64(retry_after), at(now));
                started -= 1; // retried
            } else {
                first_accept.get_or_insert(arrival);
                done += 1;
            }
        }
        if started >= requests {
            continue;
        }
        match b.reserve(at(now)) {
            Decision::Go(ticket) => {
                started += 1;
                pending[w as usize] = Some((ticket, now + latency));
                heap.push(Reverse((now + 2 * latency, w, 1)));
            }
            Decision::Wait { until, .. } => {
                // Woken at `until`, or by the next answer (approximated by a
                // short poll, as `observe` notifies waiters in the transport).
                let wake = (until - at(now)).as_micros() as u64;
                heap.push(Reverse((now + wake.clamp(1, 2 * latency), w, 0)));
            }
        }
    }
    assert_eq!(done, requests, "{mode:?} up {up}: every request accepted");
    for (i, n) in server.accepted_per_window.iter().enumerate() {
        assert!(*n <= limit, "{mode:?}: window {i} accepted {n} > {limit}");
    }
    let t0 = first_accept.unwrap();
    let windows_needed = u64::from(requests.div_ceil(limit));
    let optimal = match mode {
        Mode::Aligned => {
            // Added before subtracting: the first window may start before zero.
            let first_end = t0 + window - (t0 + window - phase % window) % window;
            if windows_needed <= 1 {
                0
            } else {
                first_end - t0 + (windows_needed - 2) * window
            }
        }
        _ => (windows_needed - 1) * window,
    };
    Run {
        elapsed_us: now,
        limited,
        optimal_us: optimal + 2 * latency,
    }
}

#[test]
fn no_window_ever_goes_over_the_limit_and_runs_are_window_optimal_in_every_mode() {
    for mode in [Mode::Fixed, Mode::Aligned, Mode::Sliding] {
        for up in [true, false] {
            for (requests, windows_label, slack) in
                [(250u32, "3 windows", 1.10), (1950, "20 windows", 1.05)]
            {
                for (phase_i, phase) in [0u64, 700_000, 1_300_000, 2_100_000, 2_900_000]
                    .into_iter()
                    .enumerate()
                {
                    let r = simulate_shared(mode, up, 100, 3, requests, 16, phase, 1);
                    let ratio = r.elapsed_us as f64 / r.optimal_us as f64;
                    let what = format!(
                        "{mode:?} reset rounded {} {windows_label} phase {phase_i}",
                        if up { "up" } else { "down" }
                    );
                    assert!(r.limited <= 2, "{what}: {} answered 429", r.limited);
                    assert!(
                        ratio <= slack,
                        "{what}: {ratio:.3}x of window-optimal (allowed {slack})"
                    );
                }
            }
        }
    }
}

#[test]
fn two_processes_sharing_one_token_see_few_429s() {
    for mode in [Mode::Fixed, Mode::Aligned, Mode::Sliding] {
        for up in [true, false] {
            let r = simulate_shared(mode, up, 100, 3, 500, 16, 1_300_000, 2);
            let share = f64::from(r.limited) / 500.0;
            assert!(share < 0.02, "{mode:?} up {up}: {} answered 429", r.limited);
        }
    }
}

#[test]
fn a_burst_under_the_limit_is_never_delayed() {
    for mode in [Mode::Fixed, Mode::Aligned, Mode::Sliding] {
        for up in [true, false] {
            let r = simulate_shared(mode, up, 300, 60, 200, 100, 1_000_000, 1);
            assert_eq!(r.limited, 0);
            // One round trip for the first answer (the limit), then all at once.
            assert!(r.elapsed_us < 10_000, "{mode:?}: {} µs", r.elapsed_us);
        }
    }
}

// Pairs: a read and the write it decides start together or not at all
// (see `pair`).

fn pair(d: pair::PairDecision) -> (Ticket, Option<Ticket>) {
    match d {
        pair::PairDecision::Go(a, b) => (a, b),
        other => panic!("expected Go, got {other:?}"),
    }
}

#[test]
fn a_pair_takes_two_slots_at_once_or_none() {
    // 10 a window, 1 used (ours), a reserve of 0: 9 free, at most 5
    // committed at a time.
    let (b, t0) = taught(h(10, 1, 2.0));
    let (read, write) = pair(b.reserve_pair(t0));
    assert!(write.is_some());
    let (_, w2) = pair(b.reserve_pair(t0));
    assert!(w2.is_some());
    // One slot of the five is left: a pair does not start on it...
    assert!(matches!(
        b.reserve_pair(t0),
        pair::PairDecision::Wait {
            reason: WaitReason::Budget,
            ..
        }
    ));
    // ...and trying took nothing: a single request still may, once.
    let single = go(b.reserve(t0));
    assert_eq!(wait(b.reserve(t0)).1, WaitReason::Budget);
    // The read is answered; the write, never used, gives its slot back
    // without counting as sent: a pair fits again.
    b.observe(read, h(10, 2, 2.0), false, t0);
    b.release(write.unwrap());
    b.abandon(single, t0);
    let (_, w3) = pair(b.reserve_pair(t0));
    assert!(w3.is_some());
}

#[test]
fn the_last_slot_of_a_window_takes_a_read_alone_rather_than_none() {
    // 10 a window, 8 used: 2 free, one committed at a time. No pair fits,
    // and with nothing in flight no answer would ever free more. (No reset
    // header: no phase sampling of the window's end in the way.)
    let no_reset = |count| RateLimitHeaders {
        allowed: Some(10),
        count: Some(count),
        reset_secs: None,
    };
    let (b, t0) = taught(no_reset(8));
    let (read, write) = pair(b.reserve_pair(t0));
    assert_eq!(write, None);
    // One in flight: the next pair waits for its answer.
    assert!(matches!(
        b.reserve_pair(t0),
        pair::PairDecision::Wait { .. }
    ));
    b.observe(read, no_reset(9), false, t0);
    // Its write finds the last slot free.
    go(b.reserve(t0));
}

#[test]
fn a_probe_goes_alone() {
    let (b, t0) = taught(h(10, 10, 2.0));
    let at = t0 + Duration::from_secs(2);
    let (probe, write) = pair(b.reserve_pair(at));
    assert!(probe.probe.is_some());
    assert_eq!(write, None);
}

#[test]
fn under_even_spacing_a_pair_takes_two_slots_and_the_schedule_moves_on() {
    let b = RateBudget::new(Pacing::Smooth);
    let t0 = Instant::now();
    let first = go(b.reserve(t0));
    b.observe(first, h(98, 1, 1.0), false, t0);
    // 98 a second at 98%: one every ~10.4 ms; the first used the slot at t0.
    let interval = Duration::from_secs(1).div_f64(98.0 * SMOOTH_SHARE);
    let now = t0 + interval;
    let (_, write) = pair(b.reserve_pair(now));
    assert!(write.is_some());
    let (until, reason) = wait(b.reserve(now));
    assert_eq!(reason, WaitReason::Smoothing);
    // The pair took two slots: the next is two intervals on.
    let gap = until - now;
    assert!(
        gap + Duration::from_micros(5) >= interval * 2
            && gap <= interval * 2 + Duration::from_micros(5),
        "{gap:?}"
    );
}
