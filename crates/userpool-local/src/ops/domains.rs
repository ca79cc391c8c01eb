//! The control plane of hosted sign-in: a pool's domain (CreateUserPoolDomain,
//! DescribeUserPoolDomain, UpdateUserPoolDomain, DeleteUserPoolDomain), its resource
//! servers with their custom scopes (CreateResourceServer, DescribeResourceServer,
//! ListResourceServers, UpdateResourceServer, DeleteResourceServer), and the checks of an
//! app client's OAuth settings ([`check_client_oauth`]) that need the pool's resource
//! servers. Admin (SigV4-signed) operations.
//!
//! The domain is stored and answered so that set-up tools (Terraform, CDK, scripts) run
//! unchanged against the local pool; its pages are served under the server's own address,
//! `{endpoint}/{domain}/` (see [`crate::hosted`]), not on the domain's host name.

use std::sync::Arc;

use serde_json::{Value, json};

use super::admin::{PageOf, page_after, page_size, page_token};
use crate::config::ClientConfig;
use crate::error::{ApiError, ExceptionName};
use crate::protocol::Params;
use crate::state::{PoolRt, State};
use crate::store::{self, DomainConflict, DomainRow, ResourceServer, Scope};
use crate::util;

/// The account id of every ARN and description the local pool answers.
const ACCOUNT_ID: &str = "000000000000";
/// Longest prefix domain (a DNS label).
const MAX_PREFIX: usize = 63;
/// Longest custom domain (a DNS name).
const MAX_CUSTOM: usize = 253;
/// Words Cognito refuses in a prefix domain.
const RESERVED_WORDS: &[&str] = &["aws", "amazon", "cognito"];
/// Most resource servers one pool may have (Cognito's quota).
pub(crate) const MAX_RESOURCE_SERVERS: i64 = 25;
/// Most scopes one resource server may have (the model's list maximum).
const MAX_SCOPES: usize = 100;
/// Longest identifier, name, scope name and scope description.
const MAX_TEXT: usize = 256;
/// The scopes every pool knows without a resource server.
pub(crate) const STANDARD_SCOPES: &[&str] = &[
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];
/// Most callback or logout URLs of a client, and the longest one (the model's limits).
const MAX_URLS: usize = 100;
const MAX_URL: usize = 1024;
/// Most OAuth scopes of a client (the model's list maximum).
const MAX_CLIENT_SCOPES: usize = 50;

fn validation(value: &str, member: &str, constraint: &str) -> ApiError {
    let shown: String = value.chars().take(64).collect();
    ApiError::invalid_parameter(format!(
        "1 validation error detected: Value '{shown}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

fn check_length(value: &str, member: &str, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n == 0 {
        return Err(validation(
            value,
            member,
            "Member must have length greater than or equal to 1",
        ));
    }
    if n > max {
        return Err(validation(
            value,
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// The model's identifier pattern `[\x21\x23-\x5B\x5D-\x7E]+`: printable ASCII without
/// space, `"` and `\`.
fn identifier_byte(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// The model's scope name pattern `[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+`: as an identifier,
/// and no `/` either (it separates the server from the scope in `<server>/<scope>`).
fn scope_name_byte(b: u8) -> bool {
    identifier_byte(b) && b != b'/'
}

// ---------------------------------------------------------------------------------------
// Domains

/// `ManagedLoginVersion`: 1 (the classic hosted UI, Cognito's default) or 2 (managed
/// login).
fn managed_login_version(p: &Params<'_>) -> Result<Option<u8>, ApiError> {
    p.int("ManagedLoginVersion")?
        .map(check_managed_login_version)
        .transpose()
}

/// A `ManagedLoginVersion` value: 1 or 2.
pub(crate) fn check_managed_login_version(version: i64) -> Result<u8, ApiError> {
    match version {
        1 => Ok(1),
        2 => Ok(2),
        other => Err(ApiError::invalid_parameter(format!(
            "ManagedLoginVersion {other} is not supported: use 1 (hosted UI) or 2 (managed login)."
        ))),
    }
}

/// `CustomDomainConfig.CertificateArn`, when the request has the structure.
fn certificate_arn(p: &Params<'_>) -> Result<Option<String>, ApiError> {
    let Some(config) = p.obj("CustomDomainConfig")? else {
        return Ok(None);
    };
    let Some(arn) = config.str("CertificateArn")? else {
        return Err(validation(
            "null",
            "customDomainConfig.certificateArn",
            "Member must not be null",
        ));
    };
    check_certificate_arn(arn)?;
    Ok(Some(arn.to_owned()))
}

/// A `CustomDomainConfig.CertificateArn`: 20 to 2048 characters, an ACM certificate ARN.
pub(crate) fn check_certificate_arn(arn: &str) -> Result<(), ApiError> {
    check_length(arn, "customDomainConfig.certificateArn", 2048)?;
    if arn.chars().count() < 20 {
        return Err(validation(
            arn,
            "customDomainConfig.certificateArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[2] != "acm" {
        return Err(ApiError::invalid_parameter(format!(
            "The certificate {} is not an ACM certificate ARN.",
            arn.chars().take(64).collect::<String>()
        )));
    }
    Ok(())
}

/// A prefix domain: a DNS label of lower-case letters, digits and hyphens, without the
/// words Cognito reserves.
pub(crate) fn check_prefix(domain: &str) -> Result<(), ApiError> {
    check_length(domain, "domain", MAX_PREFIX)?;
    let bytes = domain.as_bytes();
    let ok_byte = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    let shaped = bytes.iter().all(ok_byte)
        && bytes.first().is_some_and(|b| *b != b'-')
        && bytes.last().is_some_and(|b| *b != b'-');
    if !shaped {
        return Err(ApiError::invalid_parameter(
            "The domain name contains an invalid character. Domain names can only contain lower-case letters, numbers, and hyphens. Please enter a different name that follows this format: ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$",
        ));
    }
    if let Some(word) = RESERVED_WORDS.iter().find(|w| domain.contains(**w)) {
        return Err(ApiError::invalid_parameter(format!(
            "Domain cannot contain reserved word: {word}"
        )));
    }
    Ok(())
}

/// A custom domain: a fully qualified DNS name (at least two labels, each one a valid
/// label), lower case.
pub(crate) fn check_custom(domain: &str) -> Result<(), ApiError> {
    check_length(domain, "domain", MAX_CUSTOM)?;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= MAX_PREFIX
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if domain.split('.').count() < 2 || !domain.split('.').all(label_ok) {
        return Err(ApiError::invalid_parameter(format!(
            "The custom domain {} is not a valid fully qualified domain name.",
            domain.chars().take(64).collect::<String>()
        )));
    }
    Ok(())
}

fn no_such_domain() -> ApiError {
    ApiError::invalid_parameter("No such domain or user pool exists.")
}

/// The host a custom domain's DNS record would point at (made up, stable for the domain's
/// life: Cognito answers a CloudFront distribution).
pub(crate) fn cloudfront_host() -> Result<String, ApiError> {
    Ok(format!(
        "d{}.cloudfront.net",
        util::random_string(13, util::LOWER_ALNUM)?
    ))
}

fn domain_answer(row: &DomainRow) -> Value {
    let mut v = json!({ "ManagedLoginVersion": row.managed_login_version });
    if let Some(host) = &row.cloudfront {
        v["CloudFrontDomain"] = json!(host);
    }
    v
}

/// The pool's domain for DescribeUserPool: `Domain` for a prefix, `CustomDomain` for a
/// custom domain; `None` without one.
pub(crate) async fn pool_domain_members(
    state: &State,
    pool_id: &str,
) -> Result<Option<(&'static str, String)>, ApiError> {
    let id = pool_id.to_owned();
    let row = state
        .store
        .read(move |c| store::domain_of_pool(c, &id))
        .await?;
    Ok(row.map(|r| {
        let member = if r.certificate_arn.is_some() {
            "CustomDomain"
        } else {
            "Domain"
        };
        (member, r.domain)
    }))
}

/// CreateUserPoolDomain: a prefix domain, or with `CustomDomainConfig` a custom domain.
pub(crate) async fn create_user_pool_domain(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let domain = p.req_str("Domain")?;
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let certificate = certificate_arn(&p)?;
    if certificate.is_some() {
        check_custom(domain)?;
    } else {
        check_prefix(domain)?;
    }
    let version = managed_login_version(&p)?.unwrap_or(1);
    let now = util::now_ms();
    let cloudfront = match certificate {
        Some(_) => Some(cloudfront_host()?),
        None => None,
    };
    let row = DomainRow {
        domain: domain.to_owned(),
        pool_id: pool.id.clone(),
        certificate_arn: certificate,
        cloudfront,
        managed_login_version: version,
        created_ms: now,
        modified_ms: now,
    };
    let stored = row.clone();
    let conflict = state
        .store
        .write(move |c| store::insert_domain(c, &stored))
        .await?;
    match conflict {
        Some(conflict) => Err(conflict_error(conflict)),
        None => {
            tracing::info!(pool_id = %pool.id, domain = %row.domain, "user pool domain created");
            Ok(domain_answer(&row))
        }
    }
}

/// Cognito's answer when a domain cannot be inserted.
pub(crate) fn conflict_error(conflict: DomainConflict) -> ApiError {
    match conflict {
        DomainConflict::PoolHasDomain => {
            ApiError::invalid_parameter("User pool already has a domain configured.")
        }
        DomainConflict::DomainTaken => {
            ApiError::invalid_parameter("Domain already associated with another user pool.")
        }
    }
}

/// DescribeUserPoolDomain: as Cognito, an unknown domain is an empty description, not an
/// error.
pub(crate) async fn describe_user_pool_domain(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let domain = p.req_str("Domain")?.to_owned();
    let row = state
        .store
        .read(move |c| store::domain_by_name(c, &domain))
        .await?;
    let Some(row) = row else {
        return Ok(json!({ "DomainDescription": {} }));
    };
    let mut d = json!({
        "UserPoolId": row.pool_id,
        "AWSAccountId": ACCOUNT_ID,
        "Domain": row.domain,
        "Status": "ACTIVE",
        "ManagedLoginVersion": row.managed_login_version,
    });
    if let Some(arn) = &row.certificate_arn {
        d["CustomDomainConfig"] = json!({ "CertificateArn": arn });
    }
    if let Some(host) = &row.cloudfront {
        d["CloudFrontDistribution"] = json!(host);
    }
    Ok(json!({ "DomainDescription": d }))
}

/// UpdateUserPoolDomain: the managed login version and, for a custom domain, its
/// certificate. A member left out keeps its value (unlike UpdateUserPool, this update
/// names what changes).
pub(crate) async fn update_user_pool_domain(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let domain = p.req_str("Domain")?.to_owned();
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let certificate = certificate_arn(&p)?;
    let version = managed_login_version(&p)?;
    let pool_id = pool.id.clone();
    let row = state
        .store
        .write(move |c| {
            let Some(mut row) = store::domain_by_name(c, &domain)? else {
                return Err(no_such_domain());
            };
            if row.pool_id != pool_id {
                return Err(no_such_domain());
            }
            if let Some(arn) = certificate {
                if row.certificate_arn.is_none() {
                    return Err(ApiError::invalid_parameter(
                        "CustomDomainConfig can only be updated for a custom domain.",
                    ));
                }
                row.certificate_arn = Some(arn);
            }
            if let Some(v) = version {
                row.managed_login_version = v;
            }
            row.modified_ms = util::now_ms();
            store::update_domain(c, &row)?;
            Ok(row)
        })
        .await?;
    Ok(domain_answer(&row))
}

/// DeleteUserPoolDomain: the domain must be the pool's.
pub(crate) async fn delete_user_pool_domain(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let domain = p.req_str("Domain")?.to_owned();
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let pool_id = pool.id.clone();
    let deleted = state
        .store
        .write(move |c| store::delete_domain(c, &pool_id, &domain))
        .await?;
    if !deleted {
        return Err(no_such_domain());
    }
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------
// Resource servers

pub(crate) fn check_identifier(identifier: &str) -> Result<(), ApiError> {
    check_length(identifier, "identifier", MAX_TEXT)?;
    if !identifier.bytes().all(identifier_byte) {
        return Err(validation(
            identifier,
            "identifier",
            "Member must satisfy regular expression pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+",
        ));
    }
    Ok(())
}

/// The model's name pattern `[\w\s+=,.@-]+`.
pub(crate) fn check_server_name(name: &str) -> Result<(), ApiError> {
    check_length(name, "name", MAX_TEXT)?;
    let ok = |c: char| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c);
    if !name.chars().all(ok) {
        return Err(validation(
            name,
            "name",
            "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
        ));
    }
    Ok(())
}

/// `Scopes`, each with a name and a description, checked by [`check_scopes`].
fn scopes(p: &Params<'_>) -> Result<Vec<Scope>, ApiError> {
    let list = p.obj_list("Scopes")?.unwrap_or_default();
    let mut out: Vec<Scope> = Vec::with_capacity(list.len());
    for s in &list {
        out.push(Scope {
            name: s.req_str("ScopeName")?.to_owned(),
            description: s.req_str("ScopeDescription")?.to_owned(),
        });
    }
    check_scopes(&out)?;
    Ok(out)
}

/// The scopes of a resource server: at most 100, names of the scope-name pattern and
/// unique within the server, descriptions of at most 256 characters.
pub(crate) fn check_scopes(list: &[Scope]) -> Result<(), ApiError> {
    if list.len() > MAX_SCOPES {
        return Err(validation(
            "[...]",
            "scopes",
            "Member must have length less than or equal to 100",
        ));
    }
    for (i, s) in list.iter().enumerate() {
        let (name, description) = (s.name.as_str(), s.description.as_str());
        check_length(name, "scopes.member.scopeName", MAX_TEXT)?;
        if !name.bytes().all(scope_name_byte) {
            return Err(validation(
                name,
                "scopes.member.scopeName",
                "Member must satisfy regular expression pattern: [\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+",
            ));
        }
        check_length(description, "scopes.member.scopeDescription", MAX_TEXT)?;
        if list[..i].iter().any(|o| o.name == name) {
            return Err(ApiError::invalid_parameter(format!(
                "Duplicate scope name {name} in the resource server."
            )));
        }
    }
    Ok(())
}

fn server_json(s: &ResourceServer) -> Value {
    let scopes: Vec<Value> = s
        .scopes
        .iter()
        .map(|sc| json!({ "ScopeName": sc.name, "ScopeDescription": sc.description }))
        .collect();
    json!({
        "UserPoolId": s.pool_id,
        "Identifier": s.identifier,
        "Name": s.name,
        "Scopes": scopes,
    })
}

fn server_not_found(identifier: &str, pool_id: &str) -> ApiError {
    ApiError::new(
        ExceptionName::ResourceNotFound,
        format!(
            "Resource server {} does not exist in user pool {pool_id}.",
            identifier.chars().take(256).collect::<String>()
        ),
    )
}

/// The identifier, name and scopes of a CreateResourceServer or UpdateResourceServer.
fn server_from_wire(pool: &PoolRt, p: &Params<'_>) -> Result<ResourceServer, ApiError> {
    let identifier = p.req_str("Identifier")?;
    check_identifier(identifier)?;
    let name = p.req_str("Name")?;
    check_server_name(name)?;
    Ok(ResourceServer {
        pool_id: pool.id.clone(),
        identifier: identifier.to_owned(),
        name: name.to_owned(),
        scopes: scopes(p)?,
    })
}

/// CreateResourceServer.
pub(crate) async fn create_resource_server(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let server = server_from_wire(&pool, &p)?;
    let stored = server.clone();
    state
        .store
        .write(move |c| {
            if store::count_resource_servers(c, &stored.pool_id)? >= MAX_RESOURCE_SERVERS {
                return Err(too_many_servers());
            }
            if !store::insert_resource_server(c, &stored)? {
                return Err(ApiError::invalid_parameter(format!(
                    "{} already exists in user pool {}.",
                    stored.identifier, stored.pool_id
                )));
            }
            Ok(())
        })
        .await?;
    Ok(json!({ "ResourceServer": server_json(&server) }))
}

/// A pool's resource servers are at most [`MAX_RESOURCE_SERVERS`].
pub(crate) fn too_many_servers() -> ApiError {
    ApiError::new(
        ExceptionName::LimitExceeded,
        format!(
            "The user pool has the most resource servers it may have ({MAX_RESOURCE_SERVERS})."
        ),
    )
}

/// DescribeResourceServer.
pub(crate) async fn describe_resource_server(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let identifier = p.req_str("Identifier")?.to_owned();
    let (pid, id) = (pool.id.clone(), identifier.clone());
    let server = state
        .store
        .read(move |c| store::resource_server(c, &pid, &id))
        .await?
        .ok_or_else(|| server_not_found(&identifier, &pool.id))?;
    Ok(json!({ "ResourceServer": server_json(&server) }))
}

/// ListResourceServers: in identifier order; `MaxResults` (1 to 50) is required.
pub(crate) async fn list_resource_servers(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let max = page_size(&p, ("MaxResults", "maxResults"), 0, 1, 50)?;
    let after = page_after(PageOf::ResourceServers(&pool.id), p.str("NextToken")?)?;
    let pid = pool.id.clone();
    let rows = state
        .store
        .read(move |c| store::list_resource_servers(c, &pid, &after, max + 1))
        .await?;
    let more = rows.len() > max;
    let page: Vec<&ResourceServer> = rows.iter().take(max).collect();
    let mut out =
        json!({ "ResourceServers": page.iter().map(|s| server_json(s)).collect::<Vec<_>>() });
    if more && let Some(last) = page.last() {
        out["NextToken"] = json!(page_token(
            PageOf::ResourceServers(&pool.id),
            &last.identifier
        ));
    }
    Ok(out)
}

/// UpdateResourceServer: the name and the scopes are replaced (scopes left out: none).
pub(crate) async fn update_resource_server(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let server = server_from_wire(&pool, &p)?;
    let stored = server.clone();
    let found = state
        .store
        .write(move |c| store::update_resource_server(c, &stored))
        .await?;
    if !found {
        return Err(server_not_found(&server.identifier, &pool.id));
    }
    Ok(json!({ "ResourceServer": server_json(&server) }))
}

/// DeleteResourceServer. App clients that allow its scopes keep them (see the docs).
pub(crate) async fn delete_resource_server(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let identifier = p.req_str("Identifier")?.to_owned();
    let (pid, id) = (pool.id.clone(), identifier.clone());
    let deleted = state
        .store
        .write(move |c| store::delete_resource_server(c, &pid, &id))
        .await?;
    if !deleted {
        return Err(server_not_found(&identifier, &pool.id));
    }
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------
// App client OAuth settings

/// A callback or logout URL as Cognito accepts it: absolute (a scheme, then something),
/// no fragment, and HTTPS unless it is plain HTTP to the loopback host (`localhost`,
/// `127.0.0.1`, `[::1]`) or another scheme (an app's own, e.g. `myapp://callback`).
fn check_redirect_url(url: &str, member: &str) -> Result<(), ApiError> {
    check_length(url, member, MAX_URL)?;
    let shown: String = url.chars().take(128).collect();
    let invalid =
        |why: &str| ApiError::invalid_parameter(format!("Invalid {member} {shown}: {why}"));
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(invalid("it must be an absolute URL."));
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || rest.is_empty() {
        return Err(invalid("it must be an absolute URL."));
    }
    if url.contains('#') {
        return Err(invalid("it must not have a fragment."));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it must not contain white space."));
    }
    if scheme.eq_ignore_ascii_case("http") {
        // The host is what follows any user information (`http://localhost@evil.test`
        // goes to evil.test), up to the port.
        let authority = rest
            .strip_prefix("//")
            .map(|r| r.split(['/', '?']).next().unwrap_or(""))
            .unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or("");
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().map(|h| format!("[{h}]"))
        } else {
            authority.split(':').next().map(str::to_owned)
        };
        let loopback = host.as_deref().is_some_and(|h| {
            ["localhost", "127.0.0.1", "[::1]"].contains(&h.to_ascii_lowercase().as_str())
        });
        if !loopback {
            return Err(invalid(
                "HTTPS is required, except for http://localhost, http://127.0.0.1 and http://[::1].",
            ));
        }
    }
    Ok(())
}

fn oauth_flow_error(message: &str) -> ApiError {
    ApiError::new(ExceptionName::InvalidOAuthFlow, message)
}

/// The OAuth settings of an app client, checked as Cognito checks them at
/// CreateUserPoolClient and UpdateUserPoolClient: URL shapes, the flows that go together,
/// scopes that exist (standard, or `<resource server identifier>/<scope name>` of the
/// pool), and identity providers the pool has (the local pool has only `COGNITO`).
pub(crate) async fn check_client_oauth(
    state: &State,
    pool: &PoolRt,
    config: &ClientConfig,
) -> Result<(), ApiError> {
    if config.callback_urls.len() > MAX_URLS {
        return Err(validation(
            "[...]",
            "callbackURLs",
            "Member must have length less than or equal to 100",
        ));
    }
    if config.logout_urls.len() > MAX_URLS {
        return Err(validation(
            "[...]",
            "logoutURLs",
            "Member must have length less than or equal to 100",
        ));
    }
    for url in &config.callback_urls {
        check_redirect_url(url, "CallbackURL")?;
    }
    for url in &config.logout_urls {
        check_redirect_url(url, "LogoutURL")?;
    }
    if let Some(uri) = &config.default_redirect_uri {
        check_redirect_url(uri, "DefaultRedirectURI")?;
    }
    if config.allowed_oauth_scopes.len() > MAX_CLIENT_SCOPES {
        return Err(validation(
            "[...]",
            "allowedOAuthScopes",
            "Member must have length less than or equal to 50",
        ));
    }
    for provider in &config.supported_identity_providers {
        if provider != "COGNITO" {
            return Err(ApiError::invalid_parameter(format!(
                "The provider {} does not exist for User Pool {}",
                provider.chars().take(64).collect::<String>(),
                pool.id
            )));
        }
    }
    let flows = &config.allowed_oauth_flows;
    let has = |f: &str| flows.iter().any(|x| x == f);
    let client_credentials = has("client_credentials");
    if client_credentials && (has("code") || has("implicit")) {
        return Err(oauth_flow_error(
            "client_credentials flow can not be selected with either implicit or code flow.",
        ));
    }
    if client_credentials && !config.generate_secret {
        return Err(oauth_flow_error(
            "client_credentials flow can not be selected if client does not have a client secret.",
        ));
    }
    if config.allowed_oauth_flows_user_pool_client {
        if flows.is_empty() {
            return Err(oauth_flow_error(
                "AllowedOAuthFlows is required when AllowedOAuthFlowsUserPoolClient is true.",
            ));
        }
        if config.allowed_oauth_scopes.is_empty() {
            return Err(ApiError::invalid_parameter(
                "AllowedOAuthScopes is required when AllowedOAuthFlowsUserPoolClient is true.",
            ));
        }
        if (has("code") || has("implicit")) && config.callback_urls.is_empty() {
            return Err(ApiError::invalid_parameter(
                "CallbackURLs is required when the code or implicit flow is allowed.",
            ));
        }
    }
    // Scopes: the standard ones need no lookup; custom ones name a resource server of the
    // pool (identifiers may contain `/`, scope names never do, so the last `/` splits).
    let mut custom: Vec<(String, String)> = Vec::new();
    for scope in &config.allowed_oauth_scopes {
        if STANDARD_SCOPES.contains(&scope.as_str()) {
            if client_credentials {
                return Err(oauth_flow_error(
                    "client_credentials flow can only be used with custom scopes.",
                ));
            }
            continue;
        }
        match scope.rsplit_once('/') {
            Some((server, name)) if !server.is_empty() && !name.is_empty() => {
                custom.push((server.to_owned(), name.to_owned()));
            }
            _ => return Err(scope_missing(scope)),
        }
    }
    if custom.is_empty() {
        return Ok(());
    }
    let pool_id = pool.id.clone();
    let missing = state
        .store
        .read(move |c| {
            for (server, name) in &custom {
                let known = store::resource_server(c, &pool_id, server)?
                    .is_some_and(|s| s.scopes.iter().any(|sc| &sc.name == name));
                if !known {
                    return Ok(Some(format!("{server}/{name}")));
                }
            }
            Ok(None)
        })
        .await?;
    match missing {
        Some(scope) => Err(scope_missing(&scope)),
        None => Ok(()),
    }
}

fn scope_missing(scope: &str) -> ApiError {
    ApiError::new(
        ExceptionName::ScopeDoesNotExist,
        format!(
            "Invalid scope requested: {}",
            scope.chars().take(256).collect::<String>()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls_need_https_except_to_the_loopback_host() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://localhost",
            "http://127.0.0.1:8080/x?y=1",
            "http://[::1]:9000/",
            "myapp://callback",
        ] {
            check_redirect_url(ok, "CallbackURL").unwrap();
        }
        for bad in [
            "http://example.com/cb",
            "http://localhost.example.com/cb",
            "http://localhost@evil.example.com/cb",
            "http://localhost:80@evil.example.com/cb",
            "http:localhost/cb",
            "https://app.example.com/cb#frag",
            "app.example.com/cb",
            "",
            "https://a b",
            "1http://x",
        ] {
            assert!(
                check_redirect_url(bad, "CallbackURL").is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn prefixes_follow_the_label_pattern_and_avoid_reserved_words() {
        check_prefix("my-app-1").unwrap();
        for bad in [
            "My-app",
            "-a",
            "a-",
            "a.b",
            "",
            "my-aws-app",
            "amazonia",
            "x_y",
        ] {
            assert!(check_prefix(bad).is_err(), "{bad} was accepted");
        }
        assert!(check_prefix(&"a".repeat(64)).is_err());
        check_custom("auth.example.com").unwrap();
        for bad in [
            "example",
            "auth..example.com",
            "Auth.example.com",
            "-a.example.com",
        ] {
            assert!(check_custom(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn scope_names_exclude_the_slash_identifiers_do_not() {
        assert!("https://api.example.com".bytes().all(identifier_byte));
        assert!(!"a/b".bytes().all(scope_name_byte));
        assert!(!"a b".bytes().all(identifier_byte));
        assert!(!"a\"b".bytes().all(identifier_byte));
        assert!("read:all".bytes().all(scope_name_byte));
    }
}
