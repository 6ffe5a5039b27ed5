//! What to tell the admin about Genesys's own timers (design section 2.2).
//! Pure, and built only from the rows of the table and the deployment's
//! settings, so a sentence can never contradict them: each queue is named in
//! the sentence of its own `live` and in no other.

use crate::genesys::deployment::DeploymentSettings;
use crate::genesys::queue::{
    QueueTimer, SettingsSource, TimerLive, TIMEOUT_SECONDS, WEBMESSAGING_SWITCH,
};

/// Queue names listed in one sentence; the rest are counted.
const MAX_NAMED: usize = 20;

/// `30 min`, or `90 s` when not a whole number of minutes.
pub fn duration(seconds: u64) -> String {
    if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

fn names<'a>(
    rows: impl Iterator<Item = &'a QueueTimer>,
    each: impl Fn(&QueueTimer) -> String,
) -> String {
    let rows: Vec<&QueueTimer> = rows.collect();
    let mut shown: Vec<String> = rows.iter().take(MAX_NAMED).map(|r| each(r)).collect();
    if rows.len() > MAX_NAMED {
        shown.push(format!("and {} more", rows.len() - MAX_NAMED));
    }
    shown.join(", ")
}

fn name(r: &QueueTimer) -> String {
    if r.queue_name.is_empty() {
        r.queue_id.clone()
    } else {
        r.queue_name.clone()
    }
}

/// `Support (30 min, disconnect)` or `Sales (10 min, then flow Escalate)`.
fn with_timer(r: &QueueTimer) -> String {
    let secs = r
        .timeout_seconds
        .map(duration)
        .unwrap_or_else(|| "no timeout".into());
    let action = match (r.action.as_deref(), &r.flow) {
        (Some("SEND_TO_ARCHITECT_FLOW"), Some(f)) => {
            format!("then flow {}", f.name.as_deref().unwrap_or(&f.id))
        }
        (Some("SEND_TO_ARCHITECT_FLOW"), None) => "then a flow".into(),
        _ => "disconnect".into(),
    };
    format!("{} ({secs}, {action})", name(r))
}

/// The advice on the queue table (`queues_read`: the listing answered).
pub fn queue_advice(queues_read: bool, rows: &[QueueTimer]) -> Vec<String> {
    if !queues_read {
        return vec![
            "Grant routing:queue:view to see the queue timers (GET /api/v2/routing/queues).".into(),
        ];
    }
    let mut out = Vec::new();
    let of = |live: TimerLive| rows.iter().filter(move |r| r.live == live);
    if of(TimerLive::On).next().is_some() {
        out.push(format!(
            "These queues end idle web messaging conversations themselves: {}.",
            names(of(TimerLive::On), with_timer)
        ));
    }
    if let Some(first) = of(TimerLive::Off).next() {
        out.push(format!(
            "These don't: {}. The switch is {WEBMESSAGING_SWITCH} with {TIMEOUT_SECONDS} (genesys-cleanup queues --set-inactivity 30m --queue {}).",
            names(of(TimerLive::Off), name),
            name(first)
        ));
    }
    if of(TimerLive::Unclear).next().is_some() {
        out.push(format!(
            "On these only the top-level switch is on: {}. The Terraform provider calls it a no-op, so the timer may not run. Set the webmessaging switch too.",
            names(of(TimerLive::Unclear), with_timer)
        ));
    }
    if !rows.is_empty() && rows.iter().all(|r| r.source == SettingsSource::None) {
        out.push("The queues carry no media settings: neither the listing nor GET /api/v2/routing/queues/{queueId} showed mediaSettings.".into());
    }
    out.push("This service still covers what the timer does not reach: bot flows (no queue), queues without the timer, and conversations left open past a queue's timer (for example before an agent joined).".into());
    out
}

/// The advice on a deployment's settings.
pub fn deployment_advice(d: &DeploymentSettings) -> Vec<String> {
    let mut out = Vec::new();
    if d.conversation_clear.value == Some(false) {
        out.push("conversationClear is off on this deployment: endGuestConversation will answer ERR_FORBIDDEN until it is enabled (Messenger configuration > Conversations > conversation clear), the configuration published and the deployment republished.".into());
    }
    if let Some(s) = d.session_duration_seconds.value {
        out.push(format!(
            "Guest sessions expire after {} of inactivity; whether expiry ends the Genesys conversation is unconfirmed.",
            duration(s)
        ));
    }
    for r in &d.reads {
        if let (Some(p), "forbidden") = (&r.permission, r.result.as_str()) {
            out.push(format!(
                "{} was refused: grant {p} or rely on config.json.",
                r.request
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesys::queue::{FlowRef, Readings};
    use proptest::prelude::*;

    fn row(name: &str, live: TimerLive, secs: Option<u64>, flow: bool) -> QueueTimer {
        QueueTimer {
            queue_id: format!("id-{name}"),
            queue_name: name.into(),
            top_level: Some(live != TimerLive::Off),
            webmessaging: Some(live == TimerLive::On),
            readings: Readings {
                subtype: live == TimerLive::On,
                either: live != TimerLive::Off,
            },
            live,
            timeout_seconds: secs,
            action: Some(
                if flow {
                    "SEND_TO_ARCHITECT_FLOW"
                } else {
                    "DISCONNECT"
                }
                .into(),
            ),
            flow: flow.then(|| FlowRef {
                id: "f".into(),
                name: Some("Escalate".into()),
            }),
            source: SettingsSource::Listing,
        }
    }

    #[test]
    fn the_sentences_of_the_design() {
        let rows = [
            row("Support", TimerLive::On, Some(1800), false),
            row("Sales", TimerLive::On, Some(600), true),
            row("Billing", TimerLive::Off, None, false),
        ];
        let a = queue_advice(true, &rows);
        assert_eq!(
            a[0],
            "These queues end idle web messaging conversations themselves: Support (30 min, disconnect), Sales (10 min, then flow Escalate)."
        );
        assert!(a[1].starts_with("These don't: Billing. The switch is mediaSettings.message.subTypeSettings.webmessaging.enableInactivityTimeout"));
        assert!(a.last().unwrap().starts_with("This service still covers"));
        assert!(queue_advice(false, &rows)[0].contains("routing:queue:view"));
    }

    fn sentence_of(a: &[String], live: TimerLive) -> Option<&String> {
        let start = match live {
            TimerLive::On => "These queues end",
            TimerLive::Off => "These don't",
            TimerLive::Unclear => "On these only",
        };
        a.iter().find(|s| s.starts_with(start))
    }

    proptest! {
        /// Each queue is named in the sentence of its own `live` and no other,
        /// with its own minutes.
        #[test]
        fn never_contradicts_the_table(spec in prop::collection::vec((0u8..3, 1u64..200), 0..12)) {
            let rows: Vec<QueueTimer> = spec.iter().enumerate().map(|(i, (l, m))| {
                let live = [TimerLive::On, TimerLive::Off, TimerLive::Unclear][*l as usize];
                row(&format!("Q{i}x"), live, Some(m * 60), false)
            }).collect();
            let a = queue_advice(true, &rows);
            for r in &rows {
                let needle = format!("Q{}x", &r.queue_name[1..r.queue_name.len() - 1]);
                for live in [TimerLive::On, TimerLive::Off, TimerLive::Unclear] {
                    let named = sentence_of(&a, live).is_some_and(|s| {
                        s.split(|c: char| !c.is_alphanumeric()).any(|w| w == needle)
                    });
                    prop_assert_eq!(named, live == r.live, "{} {:?}", needle, a);
                }
                if r.live != TimerLive::Off {
                    let mins = format!("{needle} ({} min", r.timeout_seconds.unwrap() / 60);
                    prop_assert!(sentence_of(&a, r.live).unwrap().contains(&mins));
                }
            }
        }
    }
}
