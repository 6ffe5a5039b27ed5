//! A 403 on a close, explained: by divisions when the token holds the
//! permission elsewhere, or as both refusals when neither PATCH is allowed.

use crate::error::{Division, Error, ErrorCode};
use crate::genesys::divisions::{self, Holdings};
use crate::genesys::model::MessageConversation;
use crate::genesys::permissions::END_PERMISSIONS;
use crate::http::transport::Call;
use crate::session::Session;

/// A 403 although the token holds a permission that ends conversations
/// somewhere: when that somewhere is none of the conversation's divisions
/// (from the read we already made), say so and how to fix it. Where the
/// token holds its permissions is looked up once per client and shared.
pub(super) async fn explain_division(
    t: &Session,
    id: &str,
    conv: &MessageConversation,
    e: Error,
    call: &mut Call<'_>,
) -> Error {
    let divisions = conv.division_list();
    if divisions.is_empty() {
        return e;
    }
    let Some(holdings) = t.holdings(call).await else {
        return e;
    };
    match division_refusal(id, &divisions, holdings, e) {
        Ok(explained) => explained,
        Err(e) => e,
    }
}

/// The refusal explained by divisions, or handed back unchanged when the
/// divisions do not explain it (held nowhere: a plain missing permission;
/// held in one of them or in all: something else refused). Pure.
pub(super) fn division_refusal(
    id: &str,
    divisions: &[Division],
    holdings: &Holdings,
    e: Error,
) -> Result<Error, Error> {
    let reach = holdings.reach(&END_PERMISSIONS);
    if reach.is_empty() || reach.reaches(divisions) {
        return Err(e);
    }
    let reach = reach.named_from(divisions);
    let said = match &e.genesys_code {
        Some(code) if !code.is_empty() => format!(" Genesys answered 403 {code}."),
        _ => " Genesys answered 403 without an error code.".to_string(),
    };
    Ok(Error {
        message: format!("{}{said}", divisions::out_of_reach(id, divisions, &reach)),
        conversation_divisions: divisions.to_vec(),
        permission_divisions: reach.as_list(),
        ..e
    })
}

/// A refusal of the write: missing permission, forbidden, or not allowed.
pub(super) fn is_refusal(e: &Error) -> bool {
    matches!(e.code, ErrorCode::MissingPermission | ErrorCode::Forbidden) || e.status == Some(405)
}

/// Neither the whole-conversation PATCH nor the participants' was allowed:
/// one error naming every permission that would do.
pub(super) fn combine_refusals(whole: Error, per_participant: Error, id: &str) -> Error {
    if per_participant.code != ErrorCode::MissingPermission {
        return per_participant;
    }
    let mut perms = whole.missing_permissions.clone();
    for p in &per_participant.missing_permissions {
        if !perms.contains(p) {
            perms.push(p.clone());
        }
    }
    let mut e = per_participant;
    e.message = format!(
        "Cannot end conversation {id}: the token may neither disconnect the whole conversation nor its participants. Grant a role holding one of [{}] (conversation:communication:disconnect is the usual one). {}",
        perms.join(", "),
        e.message
    );
    e.missing_permissions = perms;
    e
}
