//! A Messenger deployment's settings, read in order (design section 1.2):
//! the deployment (`webDeployments:deployment:view`), its configuration
//! version (`webDeployments:configuration:view`), else the active
//! configuration ("Requires NO permissions"), then, for what is still
//! missing, the public `config.json` with no Authorization header (from
//! `https://api-cdn.{domain}`, or the `baseUrl`). A refused or failed read
//! is recorded in `reads` and never fails the whole report.

use crate::error::{Error, ErrorCode};
use crate::genesys::deployment::{DeploymentRead, DeploymentSettings, SettingSource};
use crate::genesys::region;
use crate::genesys::routes;
use crate::http::transport::{Parsed, Request, Transport};
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const DEPLOYMENT_VIEW: &str = "webDeployments:deployment:view";
pub const CONFIGURATION_VIEW: &str = "webDeployments:configuration:view";
/// `config.json` is small; anything larger is not it.
const MAX_CONFIG_JSON: usize = 256 * 1024;

/// Where `config.json` is read: `https://api-cdn.{domain}` for a region's
/// API host, else the `baseUrl` itself (the emulator). Pure.
pub fn config_json_origin(api_base: &str) -> String {
    let base = api_base.trim_end_matches('/');
    for r in region::list() {
        if base == format!("https://api.{}", r.domain) {
            return format!("https://api-cdn.{}", r.domain);
        }
    }
    base.to_string()
}

/// Reads the settings of deployment `id` (a UUID, checked by the caller).
pub async fn read(
    t: &Transport,
    id: &str,
    cancel: &CancellationToken,
) -> Result<(DeploymentSettings, u32), Error> {
    let mut d = DeploymentSettings::new(id);
    let mut requests = 0;
    let deployment = get(
        t,
        routes::WEB_DEPLOYMENT,
        &[id],
        DEPLOYMENT_VIEW,
        &mut d,
        &mut requests,
        cancel,
    )
    .await?;
    let version_ref = deployment.as_ref().and_then(|v| d.read_deployment(v));
    let mut have_version = false;
    if let Some((cid, version)) = version_ref.filter(|(c, _)| crate::genesys::ids::is_uuid(c)) {
        let version = version
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>();
        let route = routes::CONFIGURATION_VERSION;
        if let Some(v) = get(
            t,
            route,
            &[&cid, &version],
            CONFIGURATION_VIEW,
            &mut d,
            &mut requests,
            cancel,
        )
        .await?
        {
            d.merge(&v, SettingSource::ConfigurationVersion);
            have_version = true;
        }
    } else {
        d.reads.push(skipped(
            routes::CONFIGURATION_VERSION,
            Some(CONFIGURATION_VIEW),
        ));
    }
    if !have_version {
        let route = routes::ACTIVE_CONFIGURATION;
        if let Some(v) = get(t, route, &[id], "", &mut d, &mut requests, cancel).await? {
            if let Some(cv) = v.get("configurationVersion") {
                d.merge(cv, SettingSource::ActiveConfiguration);
            }
            if d.status.is_none() {
                d.status = v
                    .pointer("/deployment/status")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
        }
    }
    if d.complete() {
        d.reads.push(skipped(routes::CONFIG_JSON, None));
    } else {
        config_json(t, id, &mut d, cancel).await?;
    }
    Ok((d, requests))
}

fn skipped(route: &str, permission: Option<&str>) -> DeploymentRead {
    DeploymentRead {
        request: format!("GET {route}"),
        permission: permission.map(str::to_string),
        result: "skipped".into(),
        missing_permissions: Vec::new(),
    }
}

/// One authenticated read; its outcome goes into `d.reads`. Only an abort fails.
async fn get(
    t: &Transport,
    route: &'static str,
    ids: &[&str],
    permission: &str,
    d: &mut DeploymentSettings,
    requests: &mut u32,
    cancel: &CancellationToken,
) -> Result<Option<Value>, Error> {
    let mut call = t.call(cancel);
    let action = format!("reading the Messenger deployment ({route})");
    let req = Request {
        method: Method::GET,
        path: routes::fill(route, ids),
        route,
        body: None,
        action: &action,
    };
    let got = t
        .send(&req, &mut call, |status, body| match status {
            200 => serde_json::from_slice::<Value>(body).map_or(Parsed::Unreadable, Parsed::Accept),
            _ => Parsed::Reject,
        })
        .await;
    *requests += call.stats.requests;
    let mut read = DeploymentRead {
        request: format!("GET {route}"),
        permission: (!permission.is_empty()).then(|| permission.to_string()),
        result: "ok".into(),
        missing_permissions: Vec::new(),
    };
    let value = match got {
        Ok(reply) => Some(reply.value),
        Err(e) if e.code == ErrorCode::Aborted => return Err(e),
        Err(e) => {
            read.result = result_of(&e).into();
            read.missing_permissions = e.missing_permissions;
            None
        }
    };
    d.reads.push(read);
    Ok(value)
}

fn result_of(e: &Error) -> &'static str {
    match e.code {
        ErrorCode::MissingPermission | ErrorCode::Forbidden | ErrorCode::MissingScope => {
            "forbidden"
        }
        ErrorCode::NotFound => "notFound",
        _ => "failed",
    }
}

/// The public `config.json`, for the settings still missing.
async fn config_json(
    t: &Transport,
    id: &str,
    d: &mut DeploymentSettings,
    cancel: &CancellationToken,
) -> Result<(), Error> {
    let origin = config_json_origin(t.api_base());
    let url = format!("{origin}{}", routes::fill(routes::CONFIG_JSON, &[id]));
    let action = "reading the deployment's public config.json";
    let got = t
        .public_get(&url, &origin, MAX_CONFIG_JSON, action, cancel)
        .await;
    let result = match got {
        Ok(Some(body)) => match serde_json::from_slice::<Value>(&body) {
            Ok(v) => {
                d.merge(&v, SettingSource::ConfigJson);
                "ok"
            }
            Err(_) => "failed",
        },
        Ok(None) => "notFound",
        Err(e) if e.code == ErrorCode::Aborted => return Err(e),
        Err(_) => "failed",
    };
    d.reads.push(DeploymentRead {
        request: format!("GET {}", routes::CONFIG_JSON),
        permission: None,
        result: result.into(),
        missing_permissions: Vec::new(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_json_on_the_cdn_or_the_base_url() {
        assert_eq!(
            config_json_origin("https://api.mypurecloud.ie"),
            "https://api-cdn.mypurecloud.ie"
        );
        assert_eq!(
            config_json_origin("http://127.0.0.1:9/"),
            "http://127.0.0.1:9"
        );
        // A look-alike host is not a region: read where the caller pointed.
        assert_eq!(
            config_json_origin("https://api.mypurecloud.ie.evil.test"),
            "https://api.mypurecloud.ie.evil.test"
        );
    }
}
