//! Where the Guest API socket is: `wss://webmessaging.{domain}/v1` for a
//! region (TRANSPORT `Urls.kt`; the region table is `genesys::region`), or a
//! `guestUrl` the caller gives (wss, or ws to loopback only: an emulator).
//! The query carries `deploymentId` and `application`, never the token. Pure.

use crate::error::{Error, ErrorCode};
use crate::genesys::ids::describe;
use crate::genesys::region::{is_loopback, resolve_region};
use url::Url;

/// What the socket says it is (`application`: always sent, required is UNCONFIRMED).
pub const APPLICATION: &str = concat!("genesys-cleanup-", env!("CARGO_PKG_VERSION"));

/// The socket URL for `region` (a name, domain or API host).
pub fn for_region(region: &str, deployment_id: &str) -> Result<Url, Error> {
    let endpoints = resolve_region(region)?;
    let domain = endpoints
        .api_base
        .strip_prefix("https://api.")
        .unwrap_or(&endpoints.api_base);
    let base = Url::parse(&format!("wss://webmessaging.{domain}/v1"))
        .map_err(|e| Error::invalid_argument(format!("region gave no valid URL ({e}).")))?;
    Ok(with_query(base, deployment_id))
}

/// The socket URL from an explicit `guestUrl`: wss anywhere, ws only to
/// loopback; no credentials, query or fragment. No path means `/v1`.
pub fn for_guest_url(input: &str, deployment_id: &str) -> Result<Url, Error> {
    let url = Url::parse(input.trim()).map_err(|_| {
        Error::invalid_argument(format!(
            "guestUrl {} is not a valid absolute URL. Example: wss://webmessaging.mypurecloud.ie/v1 or ws://127.0.0.1:8080/v1",
            describe(input)
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_argument(
            "guestUrl must not contain credentials (user:password@).",
        ));
    }
    let secure = match (url.scheme(), url.host()) {
        ("wss", Some(_)) => true,
        ("ws", Some(host)) => is_loopback(&host),
        _ => false,
    };
    if !secure {
        return Err(Error::new(
            ErrorCode::InsecureUrl,
            format!(
                "guestUrl {} must use wss:// (ws:// only to localhost, 127.0.0.0/8 or ::1): the guest's token rides in every frame.",
                describe(url.as_str())
            ),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_argument(
            "guestUrl must not have a query string or fragment: deploymentId is added to it.",
        ));
    }
    let mut url = url;
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/v1");
    }
    Ok(with_query(url, deployment_id))
}

fn with_query(mut url: Url, deployment_id: &str) -> Url {
    url.query_pairs_mut()
        .append_pair("deploymentId", deployment_id)
        .append_pair("application", APPLICATION);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_give_the_webmessaging_host() {
        let u = for_region("eu_west_1", "dep-1").unwrap();
        assert_eq!(u.host_str(), Some("webmessaging.mypurecloud.ie"));
        assert_eq!(u.scheme(), "wss");
        assert_eq!(u.path(), "/v1");
        assert!(u
            .query()
            .unwrap()
            .starts_with("deploymentId=dep-1&application=genesys-cleanup-"));
        assert_eq!(
            for_region("api.usw2.pure.cloud", "d").unwrap().host_str(),
            Some("webmessaging.usw2.pure.cloud")
        );
        assert_eq!(
            for_region("mars", "d").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn guest_url_rules() {
        let ok = |s: &str| for_guest_url(s, "d").map(|u| u.to_string());
        assert!(ok("ws://127.0.0.1:9/")
            .unwrap()
            .starts_with("ws://127.0.0.1:9/v1?deploymentId=d"));
        assert!(ok("ws://[::1]:9/v1").is_ok());
        assert!(ok("wss://webmessaging.example.com/v1").is_ok());
        assert!(ok("wss://proxy.example.com/guest/v1")
            .unwrap()
            .contains("/guest/v1?"));
        for bad in [
            "ws://10.0.0.1/v1",
            "ws://localhost.evil.com/",
            "http://127.0.0.1/",
            "https://x.com/",
        ] {
            assert_eq!(
                for_guest_url(bad, "d").unwrap_err().code,
                ErrorCode::InsecureUrl,
                "{bad}"
            );
        }
        for bad in ["nope", "wss://u:p@x.com/", "wss://x.com/v1?a=b"] {
            assert_eq!(
                for_guest_url(bad, "d").unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
    }
}
