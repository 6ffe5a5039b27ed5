//! Genesys Cloud regions and the rules for where a token may be sent.

use crate::error::{Error, ErrorCode};
use url::{Host, Url};

/// Region name -> domain, from the official SDKs' region lists.
pub const REGIONS: &[(&str, &str)] = &[
    ("us_east_1", "mypurecloud.com"),
    ("eu_west_1", "mypurecloud.ie"),
    ("ap_southeast_2", "mypurecloud.com.au"),
    ("ap_northeast_1", "mypurecloud.jp"),
    ("eu_central_1", "mypurecloud.de"),
    ("us_west_2", "usw2.pure.cloud"),
    ("ca_central_1", "cac1.pure.cloud"),
    ("ap_northeast_2", "apne2.pure.cloud"),
    ("eu_west_2", "euw2.pure.cloud"),
    ("ap_south_1", "aps1.pure.cloud"),
    ("us_east_2", "use2.us-gov-pure.cloud"),
    ("sa_east_1", "sae1.pure.cloud"),
    ("me_central_1", "mec1.pure.cloud"),
    ("ap_northeast_3", "apne3.pure.cloud"),
    ("eu_central_2", "euc2.pure.cloud"),
    ("mx_central_1", "mxc1.pure.cloud"),
    ("ap_southeast_1", "apse1.pure.cloud"),
    ("eusc_de_east_1", "edee1.eusc-pure.cloud"),
];

pub const DEFAULT_REGION: &str = "us_east_1";

/// One region as callers see it (the exported `regions` list).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// `eu_west_1`: what `region` accepts (as do the domain and the API host).
    pub name: &'static str,
    /// `mypurecloud.ie`.
    pub domain: &'static str,
    /// `api.mypurecloud.ie`: where API calls go.
    pub api_host: String,
    /// `login.mypurecloud.ie`: where tokens are fetched.
    pub login_host: String,
}

/// Every region this library knows, in the official SDKs' order.
pub fn list() -> Vec<Region> {
    REGIONS
        .iter()
        .map(|(name, domain)| Region {
            name,
            domain,
            api_host: format!("api.{domain}"),
            login_host: format!("login.{domain}"),
        })
        .collect()
}

/// Where API calls and token requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://api.mypurecloud.ie` (no trailing slash).
    pub api_base: String,
    /// e.g. `https://login.mypurecloud.ie` (no trailing slash).
    pub login_base: String,
    /// What to call this place in messages (`eu_west_1`, or the base URL).
    pub label: String,
}

/// The URL with any `user:password@` masked as `***@` (what messages show).
fn without_userinfo(input: &str) -> String {
    let t = input.trim();
    let Some(slashes) = t.find("//") else {
        return t.to_string();
    };
    let start = slashes + 2;
    let end = t[start..]
        .find(['/', '?', '#'])
        .map_or(t.len(), |i| start + i);
    match t[start..end].rfind('@') {
        Some(at) => format!("{}***@{}", &t[..start], &t[start + at + 1..]),
        None => t.to_string(),
    }
}

/// Resolves a region given as a name (`eu_west_1`, `eu-west-1`), a bare domain
/// (`mypurecloud.ie`), an API or login host (`api.mypurecloud.ie`), or an
/// `https://` URL of one of those.
pub fn resolve_region(input: &str) -> Result<Endpoints, Error> {
    let trimmed = input.trim();
    let lowered = trimmed.to_ascii_lowercase();
    let name = lowered.replace('-', "_");
    if let Some((name, domain)) = REGIONS.iter().find(|(n, _)| *n == name) {
        return Ok(endpoints_for(name, domain));
    }
    let host = lowered
        .strip_prefix("https://")
        .unwrap_or(&lowered)
        .trim_end_matches('/');
    let domain = host
        .strip_prefix("api.")
        .or_else(|| host.strip_prefix("login."))
        .unwrap_or(host);
    if let Some((name, domain)) = REGIONS.iter().find(|(_, d)| *d == domain) {
        return Ok(endpoints_for(name, domain));
    }
    let names: Vec<&str> = REGIONS.iter().map(|(n, _)| *n).collect();
    Err(Error::new(
        ErrorCode::InvalidArgument,
        format!(
            "Unknown Genesys Cloud region {}. Use a region name ({}), its domain \
             (e.g. mypurecloud.ie) or API host (e.g. api.mypurecloud.ie); for an \
             emulator or proxy pass baseUrl instead.",
            crate::genesys::ids::describe(input),
            names.join(", ")
        ),
    ))
}

fn endpoints_for(name: &str, domain: &str) -> Endpoints {
    Endpoints {
        api_base: format!("https://api.{domain}"),
        login_base: format!("https://login.{domain}"),
        label: name.to_string(),
    }
}

/// True when `host` is the loopback interface: the only place plain http may go.
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Validates an explicit `baseUrl` (an emulator, a proxy, or a Genesys host):
/// https anywhere, plain http only to loopback; no credentials, query or fragment.
/// API calls go to `baseUrl/api/v2/...` and the token to `baseUrl/oauth/token`.
pub fn resolve_base_url(input: &str) -> Result<Endpoints, Error> {
    // Credentials in the URL are refused before anything can echo them: every
    // message below shows the URL with its userinfo masked.
    let shown = crate::genesys::ids::describe(&without_userinfo(input));
    if without_userinfo(input) != input.trim() {
        return Err(Error::invalid_argument(format!(
            "baseUrl {shown} must not contain credentials (user:password@): pass accessToken or clientId/clientSecret instead."
        )));
    }
    let url = Url::parse(input.trim()).map_err(|e| {
        Error::invalid_argument(format!(
            "baseUrl {shown} is not a valid absolute URL ({e}). Example: https://api.mypurecloud.ie or http://127.0.0.1:8080"
        ))
    })?;
    let scheme_ok = match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(host)) => is_loopback(&host),
        _ => false,
    };
    if !scheme_ok {
        let why = if url.scheme() == "http" {
            "uses plain http to a host that is not loopback: a token would travel unencrypted"
        } else {
            "does not use https"
        };
        return Err(Error::new(
            ErrorCode::InsecureUrl,
            format!(
                "baseUrl {shown} {why}. Use https, or http only with localhost, 127.0.0.0/8 or ::1."
            ),
        ));
    }
    if url.host().is_none() {
        return Err(Error::invalid_argument(format!(
            "baseUrl {shown} has no host."
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_argument(
            "baseUrl must not have a query string or fragment.",
        ));
    }
    let base = url.as_str().trim_end_matches('/').to_string();
    Ok(Endpoints {
        api_base: base.clone(),
        login_base: base.clone(),
        label: base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_domains_and_hosts_resolve() {
        for input in [
            "eu_west_1",
            "EU-WEST-1",
            "mypurecloud.ie",
            "api.mypurecloud.ie",
            "login.mypurecloud.ie",
            "https://api.mypurecloud.ie/",
        ] {
            let e = resolve_region(input).unwrap();
            assert_eq!(e.api_base, "https://api.mypurecloud.ie", "{input}");
            assert_eq!(e.login_base, "https://login.mypurecloud.ie");
            assert_eq!(e.label, "eu_west_1");
        }
        assert_eq!(
            resolve_region("eusc_de_east_1").unwrap().api_base,
            "https://api.edee1.eusc-pure.cloud"
        );
    }

    #[test]
    fn unknown_region_lists_the_valid_ones() {
        let e = resolve_region("mars_north_1").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        assert!(e.message.contains("eu_west_1") && e.message.contains("mars_north_1"));
        // A look-alike host must not be accepted as Genesys.
        assert!(resolve_region("api.mypurecloud.ie.evil.com").is_err());
        assert!(resolve_region("http://api.mypurecloud.ie").is_err());
    }

    #[test]
    fn base_url_rules() {
        assert!(resolve_base_url("http://127.0.0.1:8080").is_ok());
        assert!(resolve_base_url("http://127.9.9.9:1/").is_ok());
        assert!(resolve_base_url("http://localhost:3000").is_ok());
        assert!(resolve_base_url("http://[::1]:3000").is_ok());
        assert!(resolve_base_url("https://proxy.example.com/genesys").is_ok());
        assert_eq!(
            resolve_base_url("http://10.0.0.5:8080").unwrap_err().code,
            ErrorCode::InsecureUrl
        );
        assert_eq!(
            resolve_base_url("http://localhost.evil.com")
                .unwrap_err()
                .code,
            ErrorCode::InsecureUrl
        );
        assert_eq!(
            resolve_base_url("ftp://127.0.0.1").unwrap_err().code,
            ErrorCode::InsecureUrl
        );
        assert_eq!(
            resolve_base_url("not a url").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            resolve_base_url("https://u:p@example.com")
                .unwrap_err()
                .code,
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            resolve_base_url("http://127.0.0.1:8080/").unwrap().api_base,
            "http://127.0.0.1:8080"
        );
    }

    proptest::proptest! {
        #[test]
        fn resolution_never_panics_and_only_yields_genesys_hosts(s in "\\PC{0,60}") {
            if let Ok(e) = resolve_region(&s) {
                let known = REGIONS.iter().any(|(_, d)| e.api_base == format!("https://api.{}", d));
                proptest::prop_assert!(known);
            }
        }

        #[test]
        fn base_url_never_allows_plain_http_off_loopback(a in 0u8..=255, b in 0u8..=255, port in 1u16..) {
            let url = format!("http://{a}.{b}.1.1:{port}");
            let res = resolve_base_url(&url);
            proptest::prop_assert_eq!(res.is_ok(), a == 127);
        }
    }
}
