//! `Queue`: the stored object with its id, name, division and `selfUri`.

use crate::model::{Queue, Store};
use serde_json::{json, Value};

/// The whole queue (`GET /api/v2/routing/queues/{id}`); in a listing,
/// without `mediaSettings` unless `with_media` (config
/// `queueListingMediaSettings`).
pub fn queue(q: &Queue, store: &Store, with_media: bool) -> Value {
    let division = store.divisions.get(&q.division_id).map(|d| d.name.as_str());
    let mut m = q.body.clone();
    if !with_media {
        m.remove("mediaSettings");
    }
    m.insert("id".into(), json!(q.id));
    m.insert("name".into(), json!(q.name));
    m.insert(
        "division".into(),
        json!({ "id": q.division_id, "name": division,
                "selfUri": format!("/api/v2/authorization/divisions/{}", q.division_id) }),
    );
    m.insert(
        "selfUri".into(),
        json!(format!("/api/v2/routing/queues/{}", q.id)),
    );
    Value::Object(m)
}
