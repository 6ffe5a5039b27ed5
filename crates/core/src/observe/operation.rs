//! Operations as listeners see them: each public call (a close, a bulk run, a
//! sweep, ...) gets a process-unique id, announced by `operationStart` and
//! `operationEnd` events; every request event sent while it runs carries that
//! id. The id rides in a tokio task-local, so the transport reads it where it
//! emits (no signature in between changes) and a bulk run's concurrent closes,
//! polled in the run's own task, all carry the run's id.

use crate::error::Error;
use crate::observe::events::{Event, EventKind, EventSink};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

tokio::task_local! {
    static OPERATION: u64;
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// The id of the operation the current task runs, if any.
pub fn current() -> Option<u64> {
    OPERATION.try_with(|id| *id).ok()
}

/// Runs `fut` as operation `name`: announces it, tags its events, and reports
/// its end (`summary` fills in the outcome of a success; a failure gives its
/// code, status and correlation id).
pub async fn observed<T, F>(
    sink: &Option<EventSink>,
    name: &'static str,
    fut: F,
    summary: impl FnOnce(&T, &mut Event),
) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let Some(sink) = sink else {
        return fut.await;
    };
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    sink(Event::operation(
        EventKind::OperationStart,
        Some(id),
        Some(name),
    ));
    let started = Instant::now();
    let result = OPERATION.scope(id, fut).await;
    let mut end = Event::operation(EventKind::OperationEnd, Some(id), Some(name));
    end.duration_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    match &result {
        Ok(value) => summary(value, &mut end),
        Err(e) => {
            end.code = Some(e.code);
            end.status = e.status;
            end.correlation_id = e.correlation_id.clone();
        }
    }
    sink(end);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use std::sync::{Arc, Mutex};

    fn recorder() -> (Option<EventSink>, Arc<Mutex<Vec<Event>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        (
            Some(Arc::new(move |e: Event| s.lock().unwrap().push(e)) as EventSink),
            seen,
        )
    }

    #[tokio::test]
    async fn start_and_end_frame_the_events_of_the_operation() {
        let (sink, seen) = recorder();
        let inner = sink.clone().unwrap();
        let r = observed(
            &sink,
            "closeConversation",
            async move {
                inner({
                    let mut e = Event::new(EventKind::Request, "GET", "/r", 0);
                    e.operation = current();
                    e
                });
                Ok::<_, Error>(7)
            },
            |v, e| e.outcome = Some(if *v == 7 { "closed" } else { "other" }),
        )
        .await
        .unwrap();
        assert_eq!(r, 7);
        let seen = seen.lock().unwrap();
        let kinds: Vec<_> = seen.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::OperationStart,
                EventKind::Request,
                EventKind::OperationEnd
            ]
        );
        let id = seen[0].operation.unwrap();
        assert!(seen.iter().all(|e| e.operation == Some(id)));
        assert_eq!(seen[2].outcome, Some("closed"));
        assert!(seen[2].duration_ms.is_some());
        assert_eq!(current(), None);
    }

    #[tokio::test]
    async fn a_failure_ends_the_operation_with_its_code() {
        let (sink, seen) = recorder();
        let r: Result<(), Error> = observed(
            &sink,
            "checkScopes",
            async { Err(Error::new(ErrorCode::Forbidden, "no").with_status(403)) },
            |_, _| {},
        )
        .await;
        assert!(r.is_err());
        let end = seen.lock().unwrap().pop().unwrap();
        assert_eq!(end.kind, EventKind::OperationEnd);
        assert_eq!(end.code, Some(ErrorCode::Forbidden));
        assert_eq!(end.status, Some(403));
    }
}
