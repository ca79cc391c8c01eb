//! Admin operations: pools, app clients and users as an administrator manages them.
//! Stock SDKs sign these with SigV4; the local pool accepts any credentials.

use std::sync::Arc;

use serde_json::{Value, json};

use super::signup::{new_user, record};
use super::user::update_attributes;
use super::{apply_aliases, codes, crypto, domains, find_user, user_json};
use crate::attributes::{self, WriteKind};
use crate::config::{ClientConfig, ClientInfo, PoolConfig};
use crate::error::{ApiError, ExceptionName};
use crate::outbox::{Delivery, Medium, Purpose};
use crate::password;
use crate::protocol::Params;
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, ClientRow, PoolRow, User, UserStatus};
use crate::tokens::PoolKey;
use crate::util;

/// Creates a pool in the configured region (key generation runs on the crypto pool).
pub(crate) async fn create_pool(
    state: &State,
    config: PoolConfig,
) -> Result<Arc<PoolRt>, ApiError> {
    create_pool_in(state, config, &state.region).await
}

/// Creates a pool whose id names `region`.
async fn create_pool_in(
    state: &State,
    config: PoolConfig,
    region: &str,
) -> Result<Arc<PoolRt>, ApiError> {
    config.validate()?;
    // The id shape is the client's (`UserPoolId`): a region, `_`, letters and digits. The
    // name part is always valid, so a refusal is the region's; checked before the key is
    // generated so that a refused request costs nothing.
    let name = util::random_string(9, util::ALNUM)?;
    let id = userpool_types::UserPoolId::from_parts(region, &name)
        .map_err(|_| {
            ApiError::invalid_parameter(format!(
                "The region '{}' of the request's credential scope cannot start a user pool id: lowercase ASCII letters, digits and '-' only.",
                region.chars().take(40).collect::<String>()
            ))
        })?
        .to_string();
    insert_new_pool(state, id, config).await
}

/// Creates a pool under a given id (a seed file's): `UserPoolId`'s shape, checked here;
/// the caller has made sure no pool has it.
pub(crate) async fn create_pool_with_id(
    state: &State,
    config: PoolConfig,
    id: &str,
) -> Result<Arc<PoolRt>, ApiError> {
    config.validate()?;
    let id = userpool_types::UserPoolId::parse(id)
        .map_err(|_| {
            ApiError::invalid_parameter(format!(
                "The user pool id '{}' is not of the shape <region>_<letters and digits>.",
                id.chars().take(60).collect::<String>()
            ))
        })?
        .to_string();
    insert_new_pool(state, id, config).await
}

/// Generates the pool's signing key and stores the pool (`config` validated by the caller).
async fn insert_new_pool(
    state: &State,
    id: String,
    config: PoolConfig,
) -> Result<Arc<PoolRt>, ApiError> {
    let key = crypto::run(PoolKey::generate).await?;
    let now = util::now_ms();
    let row = PoolRow {
        id: id.clone(),
        config: serde_json::to_string(&config).map_err(ApiError::internal)?,
        key_der: key.to_der()?,
        created_ms: now,
        modified_ms: now,
    };
    state
        .store
        .write(move |c| store::insert_pool(c, &row))
        .await?;
    let pool = Arc::new(PoolRt::new(id, config, key, now, now));
    state.cache_pool(pool.clone());
    tracing::info!(pool_id = %pool.id, name = %pool.config.name, "user pool created");
    Ok(pool)
}

/// Creates an app client.
pub(crate) async fn create_client(
    state: &State,
    pool_id: &str,
    config: ClientConfig,
) -> Result<ClientInfo, ApiError> {
    create_client_as(state, pool_id, config, None, None).await
}

/// Creates an app client, under `fixed_id` and with `fixed_secret` when given (a seed
/// file's; the caller has checked their shape and that no client has the id). A fixed
/// secret needs `generate_secret`; without one a secret is generated as usual.
pub(crate) async fn create_client_as(
    state: &State,
    pool_id: &str,
    config: ClientConfig,
    fixed_id: Option<&str>,
    fixed_secret: Option<&str>,
) -> Result<ClientInfo, ApiError> {
    config.validate()?;
    let pool = state.pool(pool_id).await?;
    check_client_attributes(&pool, &config)?;
    check_client_tier(&pool, &config)?;
    domains::check_client_oauth(state, &pool, &config).await?;
    let id = match fixed_id {
        Some(id) => id.to_owned(),
        None => util::random_string(26, util::LOWER_ALNUM)?,
    };
    let secret = match (config.generate_secret, fixed_secret) {
        (true, Some(s)) => Some(s.to_owned()),
        (true, None) => Some(util::random_string(51, util::LOWER_ALNUM)?),
        (false, Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "A client secret was given for a client that does not generate one.",
            ));
        }
        (false, None) => None,
    };
    let now = util::now_ms();
    let row = ClientRow {
        id: id.clone(),
        pool_id: pool.id.clone(),
        secret: secret.clone(),
        config: serde_json::to_string(&config).map_err(ApiError::internal)?,
        created_ms: now,
        modified_ms: now,
    };
    state
        .store
        .write(move |c| store::insert_client(c, &row))
        .await?;
    Ok(ClientInfo {
        pool_id: pool.id.clone(),
        client_id: id,
        client_secret: secret,
    })
}

/// The region a pool id names (its part before `_`); every stored id was made by
/// `UserPoolId::from_parts`, the configured region is the fallback for anything else.
fn region_of<'a>(state: &'a State, pool_id: &'a str) -> &'a str {
    match pool_id.split_once('_') {
        Some((region, _)) if !region.is_empty() => region,
        _ => &state.region,
    }
}

fn pool_json(state: &State, pool: &PoolRt, users: i64) -> Value {
    let c = &pool.config;
    let pp = &c.password_policy;
    let region = region_of(state, &pool.id);
    let mut v = json!({
        "Id": pool.id,
        "Name": c.name,
        "Arn": format!("arn:aws:cognito-idp:{region}:000000000000:userpool/{}", pool.id),
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": pp.minimum_length,
                "RequireUppercase": pp.require_uppercase,
                "RequireLowercase": pp.require_lowercase,
                "RequireNumbers": pp.require_numbers,
                "RequireSymbols": pp.require_symbols,
                "TemporaryPasswordValidityDays": pp.temporary_password_validity_days,
            },
            "SignInPolicy": { "AllowedFirstAuthFactors": c.allowed_first_auth_factors },
        },
        "UserPoolTier": c.tier.wire(),
        "LambdaConfig": {},
        "CreationDate": util::epoch_json(pool.created_ms),
        "LastModifiedDate": util::epoch_json(pool.modified_ms),
        "SchemaAttributes": attributes::schema_json(&pool.schema),
        "AutoVerifiedAttributes": c.auto_verified_attributes,
        "MfaConfiguration": c.mfa.mode.wire(),
        "EstimatedNumberOfUsers": users,
        "DeletionProtection": "INACTIVE",
        "UsernameConfiguration": { "CaseSensitive": c.case_sensitive_usernames },
        "UserAttributeUpdateSettings": {
            "AttributesRequireVerificationBeforeUpdate": c.keep_original_until_verified,
        },
        "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": c.allow_admin_create_user_only },
    });
    // Left out without device tracking: DescribeUserPool answers null for it then.
    if let Some(d) = &c.device {
        v["DeviceConfiguration"] = json!({
            "ChallengeRequiredOnNewDevice": d.challenge_required_on_new_device,
            "DeviceOnlyRememberedOnUserPrompt": d.device_only_remembered_on_user_prompt,
        });
    }
    if !c.alias_attributes.is_empty() {
        v["AliasAttributes"] = json!(c.alias_attributes);
    }
    if !c.username_attributes.is_empty() {
        v["UsernameAttributes"] = json!(c.username_attributes);
    }
    if let Some(m) = &c.verification_message {
        v["VerificationMessageTemplate"] = json!({
            "EmailMessage": m,
            "SmsMessage": m,
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        });
        if let Some(s) = &c.verification_subject {
            v["VerificationMessageTemplate"]["EmailSubject"] = json!(s);
        }
    }
    v
}

/// CreateUserPool: the pool id names the region of the request's credential scope (the
/// region the caller's SDK is configured with), else the configured region.
pub(crate) async fn create_user_pool(
    state: &Arc<State>,
    p: Params<'_>,
    scope_region: Option<&str>,
) -> Result<Value, ApiError> {
    let config = PoolConfig::from_wire(&p)?;
    let region = scope_region.unwrap_or(&state.region);
    let pool = create_pool_in(state, config, region).await?;
    Ok(json!({ "UserPool": pool_json(state, &pool, 0) }))
}

/// UpdateUserPool: every setting the request leaves out goes back to its default (see
/// [`PoolConfig::updated_from_wire`]); the next request sees the new settings.
pub(crate) async fn update_user_pool(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let config = pool.config.updated_from_wire(&p)?;
    config.validate()?;
    state.replace_pool_config(&pool.id, &config).await?;
    tracing::info!(pool_id = %pool.id, "user pool updated");
    Ok(json!({}))
}

/// What a page token continues: a list, and the pool it lists in (empty for pools).
#[derive(Clone, Copy)]
pub(super) enum PageOf<'a> {
    Pools,
    Clients(&'a str),
    Users(&'a str),
    ResourceServers(&'a str),
}

impl PageOf<'_> {
    fn parts(self) -> (&'static str, String) {
        match self {
            PageOf::Pools => ("pools", String::new()),
            PageOf::Clients(pool) => ("clients", pool.to_owned()),
            PageOf::Users(pool) => ("users", pool.to_owned()),
            PageOf::ResourceServers(pool) => ("resource_servers", pool.to_owned()),
        }
    }
}

/// An opaque page token: which list, which pool, and the key of the last item answered
/// (lists are in key order, so the next page starts after it and stays stable while items
/// come and go).
pub(super) fn page_token(of: PageOf<'_>, last_key: &str) -> String {
    let (list, pool) = of.parts();
    util::b64url(format!("{list}\n{pool}\n{last_key}").as_bytes())
}

/// The last key a page token names; a token that is not one this server gave for this list
/// (of this pool) is refused as Cognito refuses a bad paging marker.
pub(super) fn page_after(of: PageOf<'_>, token: Option<&str>) -> Result<String, ApiError> {
    let Some(token) = token else {
        return Ok(String::new());
    };
    let (list, pool) = of.parts();
    let decoded = util::b64url_decode(token).and_then(|b| String::from_utf8(b).ok());
    let key = decoded.as_deref().and_then(|text| {
        let mut parts = text.splitn(3, '\n');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(l), Some(p), Some(key)) if l == list && p == pool => Some(key.to_owned()),
            _ => None,
        }
    });
    key.ok_or_else(|| {
        let shown: String = token.chars().take(64).collect();
        ApiError::invalid_parameter(format!("Paging marker {shown} is invalid for request."))
    })
}

/// A page size member: absent is `default`, else `min..=max` with AWS's validation wording
/// (which names the member in lowerCamelCase, `field`).
pub(super) fn page_size(
    p: &Params<'_>,
    (member, field): (&str, &str),
    default: i64,
    min: i64,
    max: i64,
) -> Result<usize, ApiError> {
    let n = p.int(member)?.unwrap_or(default);
    if n < min {
        return Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{n}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        )));
    }
    if n > max {
        return Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{n}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    // Within 0..=60 here.
    Ok(usize::try_from(n).unwrap_or(0))
}

/// DescribeUserPool.
pub(crate) async fn describe_user_pool(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let id = pool.id.clone();
    let users = state
        .store
        .read(move |c| store::count_users(c, &id))
        .await?;
    let mut out = pool_json(state, &pool, users);
    // `Domain` (a prefix) or `CustomDomain`, left out without one as Cognito does.
    if let Some((member, domain)) = domains::pool_domain_members(state, &pool.id).await? {
        out[member] = json!(domain);
    }
    Ok(json!({ "UserPool": out }))
}

/// ListUserPools: in id order. `MaxResults` is required; Cognito reads a missing one as 0.
pub(crate) async fn list_user_pools(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let max = page_size(&p, ("MaxResults", "maxResults"), 0, 1, 60)?;
    let after = page_after(PageOf::Pools, p.str("NextToken")?)?;
    let rows = state
        .store
        .read(move |c| store::list_pools(c, &after, max + 1))
        .await?;
    let more = rows.len() > max;
    let mut pools = Vec::new();
    let mut last = None;
    for (id, config, created, modified) in rows.into_iter().take(max) {
        let name = serde_json::from_str::<PoolConfig>(&config)
            .map(|c| c.name)
            .unwrap_or_default();
        pools.push(json!({
            "Id": id,
            "Name": name,
            "LambdaConfig": {},
            "CreationDate": util::epoch_json(created),
            "LastModifiedDate": util::epoch_json(modified),
        }));
        last = Some(id);
    }
    let mut out = json!({ "UserPools": pools });
    if more && let Some(last) = last {
        out["NextToken"] = json!(page_token(PageOf::Pools, &last));
    }
    Ok(out)
}

/// DeleteUserPool.
pub(crate) async fn delete_user_pool(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let id = p.req_str("UserPoolId")?.to_owned();
    let id2 = id.clone();
    let existed = state
        .store
        .write(move |c| store::delete_pool(c, &id2))
        .await?;
    state.forget_pool(&id);
    if !existed {
        return Err(ApiError::pool_not_found(&id));
    }
    Ok(json!({}))
}

fn client_json(client: &ClientRt) -> Value {
    let c = &client.config;
    let flows: Vec<String> = if c.explicit_auth_flows.is_empty() {
        vec![
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
        ]
    } else {
        c.explicit_auth_flows.clone()
    };
    let mut v = json!({
        "UserPoolId": client.pool_id,
        "ClientName": c.name,
        "ClientId": client.id,
        "LastModifiedDate": util::epoch_json(client.modified_ms),
        "CreationDate": util::epoch_json(client.created_ms),
        "ExplicitAuthFlows": flows,
        "PreventUserExistenceErrors": if c.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
        "EnableTokenRevocation": c.enable_token_revocation,
        "AllowedOAuthFlowsUserPoolClient": c.allowed_oauth_flows_user_pool_client,
        "EnablePropagateAdditionalUserContextData": false,
        "AuthSessionValidity": c.auth_session_validity_minutes.unwrap_or(3),
        // Cognito answers the setting on every client, `DISABLED` with a grace of 0 when
        // it was never set.
        "RefreshTokenRotation": c.refresh_token_rotation.wire(),
    });
    if let (Some(obj), Value::Object(validity)) = (v.as_object_mut(), c.validity_wire()) {
        obj.extend(validity);
    }
    if let Some(s) = &client.secret {
        v["ClientSecret"] = json!(s);
    }
    if let Some(r) = &c.read_attributes {
        v["ReadAttributes"] = json!(r);
    }
    if let Some(w) = &c.write_attributes {
        v["WriteAttributes"] = json!(w);
    }
    // Cognito leaves out the OAuth lists that are empty.
    for (member, list) in [
        ("CallbackURLs", &c.callback_urls),
        ("LogoutURLs", &c.logout_urls),
        ("AllowedOAuthFlows", &c.allowed_oauth_flows),
        ("AllowedOAuthScopes", &c.allowed_oauth_scopes),
        (
            "SupportedIdentityProviders",
            &c.supported_identity_providers,
        ),
    ] {
        if !list.is_empty() {
            v[member] = json!(list);
        }
    }
    if let Some(uri) = &c.default_redirect_uri {
        v["DefaultRedirectURI"] = json!(uri);
    }
    v
}

/// Choice-based sign-in (`ALLOW_USER_AUTH`) is a feature of the `ESSENTIALS` and `PLUS`
/// plans: a client of a `LITE` pool may not allow it. The exception is the one Cognito's
/// model gives CreateUserPoolClient and UpdateUserPoolClient for this; the message is ours.
fn check_client_tier(pool: &PoolRt, config: &ClientConfig) -> Result<(), ApiError> {
    if pool.config.tier == crate::config::PoolTier::Lite && config.flows().user_auth {
        return Err(ApiError::new(
            ExceptionName::FeatureUnavailableInTier,
            "ALLOW_USER_AUTH (choice-based sign-in) is not available in the LITE feature plan.",
        ));
    }
    Ok(())
}

/// ReadAttributes and WriteAttributes must name attributes of the pool's schema.
fn check_client_attributes(pool: &PoolRt, config: &ClientConfig) -> Result<(), ApiError> {
    if let Some(unknown) = config
        .read_attributes
        .iter()
        .chain(config.write_attributes.iter())
        .flatten()
        .find(|a| !pool.schema.iter().any(|d| &d.name == *a))
    {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid read or write attribute: {unknown}"
        )));
    }
    Ok(())
}

/// CreateUserPoolClient.
pub(crate) async fn create_user_pool_client(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool_id = p.req_str("UserPoolId")?;
    let config = ClientConfig::from_wire(&p)?;
    let info = create_client(state, pool_id, config).await?;
    let client = state.client(&info.client_id).await?;
    Ok(json!({ "UserPoolClient": client_json(&client) }))
}

/// DescribeUserPoolClient.
pub(crate) async fn describe_user_pool_client(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool_id = p.req_str("UserPoolId")?;
    let client_id = p.req_str("ClientId")?;
    let pool = state.pool(pool_id).await?;
    let client = state.client(client_id).await?;
    if client.pool_id != pool.id {
        return Err(ApiError::client_not_found(client_id));
    }
    Ok(json!({ "UserPoolClient": client_json(&client) }))
}

/// UpdateUserPoolClient: every setting the request leaves out goes back to its default
/// (see [`ClientConfig::updated_from_wire`]); the next sign-in sees the new settings.
pub(crate) async fn update_user_pool_client(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let client_id = p.req_str("ClientId")?;
    let client = state.client(client_id).await?;
    if client.pool_id != pool.id {
        return Err(ApiError::client_not_found(client_id));
    }
    let config = client.config.updated_from_wire(&p)?;
    config.validate()?;
    check_client_attributes(&pool, &config)?;
    check_client_tier(&pool, &config)?;
    domains::check_client_oauth(state, &pool, &config).await?;
    let text = serde_json::to_string(&config).map_err(ApiError::internal)?;
    let (pid, cid) = (pool.id.clone(), client.id.clone());
    let found = state
        .store
        .write(move |c| store::update_client_config(c, &pid, &cid, &text, util::now_ms()))
        .await?;
    state.uncache_client(&client.id);
    if !found {
        return Err(ApiError::client_not_found(client_id));
    }
    let client = state.client(&client.id).await?;
    Ok(json!({ "UserPoolClient": client_json(&client) }))
}

/// ListUserPoolClients: `ClientId`, `UserPoolId` and `ClientName` of each, in id order.
pub(crate) async fn list_user_pool_clients(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    // Cognito documents no default page size; the largest allowed is used.
    let max = page_size(&p, ("MaxResults", "maxResults"), 60, 1, 60)?;
    let after = page_after(PageOf::Clients(&pool.id), p.str("NextToken")?)?;
    let pid = pool.id.clone();
    let rows = state
        .store
        .read(move |c| store::list_clients(c, &pid, &after, max + 1))
        .await?;
    let more = rows.len() > max;
    let mut clients = Vec::new();
    let mut last = None;
    for (id, config) in rows.into_iter().take(max) {
        let name = serde_json::from_str::<ClientConfig>(&config)
            .map(|c| c.name)
            .unwrap_or_default();
        clients.push(json!({ "ClientId": id, "UserPoolId": pool.id, "ClientName": name }));
        last = Some(id);
    }
    let mut out = json!({ "UserPoolClients": clients });
    if more && let Some(last) = last {
        out["NextToken"] = json!(page_token(PageOf::Clients(&pool.id), &last));
    }
    Ok(out)
}

/// DeleteUserPoolClient: the client, and the sessions signed in through it (their refresh
/// and access tokens stop working); sign-ins in progress fail at their next step, which
/// looks the client up.
pub(crate) async fn delete_user_pool_client(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let client_id = p.req_str("ClientId")?.to_owned();
    let (pid, cid) = (pool.id.clone(), client_id.clone());
    let existed = state
        .store
        .write(move |c| store::delete_client(c, &pid, &cid))
        .await?;
    state.uncache_client(&client_id);
    if !existed {
        return Err(ApiError::client_not_found(&client_id));
    }
    tracing::info!(pool_id = %pool.id, client_id = %client_id, "app client deleted");
    Ok(json!({}))
}

/// The invitation an admin-created user receives (one per requested medium).
fn invitations(pool: &PoolRt, user: &User, temp: &str, mediums: &[String]) -> Vec<Delivery> {
    let mut out = Vec::new();
    for m in mediums {
        let attr = if m == "EMAIL" {
            "email"
        } else {
            "phone_number"
        };
        if let Some(dest) = user.attrs.get(attr) {
            let shown = if pool.uses_username_attributes() {
                dest.as_str()
            } else {
                user.username.as_str()
            };
            out.push(Delivery {
                attribute: attr.to_owned(),
                medium: Medium::for_attribute(attr),
                destination: dest.clone(),
                code: temp.to_owned(),
                message: format!("Your username is {shown} and temporary password is {temp}."),
                purpose: Purpose::Invitation,
            });
        }
    }
    out
}

pub(crate) fn temp_expiry(pool: &PoolRt) -> i64 {
    let days = i64::from(
        pool.config
            .password_policy
            .temporary_password_validity_days
            .max(1),
    );
    // At most u32::MAX days: the product fits in i64; the sum saturates with the clock.
    util::now_ms().saturating_add(days.saturating_mul(86_400_000))
}

/// What an admin asks for when creating a user.
pub(crate) struct NewUserSpec<'a> {
    /// What was given as the username.
    pub typed: &'a str,
    /// Attributes.
    pub attrs: Vec<(String, String)>,
    /// The (temporary or permanent) password; generated when absent.
    pub password: Option<&'a str>,
    /// A permanent password makes the user CONFIRMED; else FORCE_CHANGE_PASSWORD.
    pub permanent: bool,
    /// Invitation mediums (`EMAIL`, `SMS`); `None` sends nothing.
    pub mediums: Option<Vec<String>>,
    /// ForceAliasCreation.
    pub force_alias: bool,
}

/// Creates a user as an admin. Shared by AdminCreateUser and the Rust API.
pub(crate) async fn create_user(
    state: &State,
    pool: &Arc<PoolRt>,
    spec: NewUserSpec<'_>,
) -> Result<User, ApiError> {
    let NewUserSpec {
        typed,
        mut attrs,
        password,
        permanent,
        mediums,
        force_alias,
    } = spec;
    attributes::accept_write(&pool.schema, &mut attrs, WriteKind::AdminCreate, None)?;
    let temp = match password {
        Some(pw) => {
            password::check_shape(pw, "temporaryPassword")?;
            password::check_policy(pw, &pool.config.password_policy)?;
            pw.to_owned()
        }
        None => password::temporary(&pool.config.password_policy)?,
    };
    let status = if permanent {
        UserStatus::Confirmed
    } else {
        UserStatus::ForceChangePassword
    };
    let mut user = new_user(pool, typed, attrs, status)?;
    user.verifier = Some(crypto::make_verifier(&pool.id, &user.username, &temp).await?);
    if !permanent {
        user.temp_expires_ms = Some(temp_expiry(pool));
    }
    let deliveries = match mediums {
        Some(m) if !permanent => invitations(pool, &user, &temp, &m),
        _ => Vec::new(),
    };
    let pool2 = pool.clone();
    let u = user.clone();
    state
        .store
        .write(move |c| {
            if store::user_by_key(c, &pool2.id, &u.username_key)?.is_some() {
                return Err(ApiError::new(
                    ExceptionName::UsernameExists,
                    "User account already exists",
                ));
            }
            store::insert_user(c, &u)?;
            apply_aliases(c, &pool2, &u, force_alias)
        })
        .await?;
    for d in &deliveries {
        record(state, pool, &user, d);
    }
    Ok(user)
}

/// AdminCreateUser.
pub(crate) async fn admin_create_user(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let typed = p.req_str("Username")?;
    let attrs = p.attributes("UserAttributes")?.unwrap_or_default();
    let temp = p.str("TemporaryPassword")?;
    let force = p.bool("ForceAliasCreation")?.unwrap_or(false);
    let mediums = p
        .str_list("DesiredDeliveryMediums")?
        .unwrap_or_else(|| vec!["SMS".to_owned()]);
    for m in &mediums {
        if m != "SMS" && m != "EMAIL" {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid DesiredDeliveryMediums value: {m}"
            )));
        }
    }
    match p.str("MessageAction")? {
        Some("SUPPRESS") => {
            let spec = NewUserSpec {
                typed,
                attrs,
                password: temp,
                permanent: false,
                mediums: None,
                force_alias: force,
            };
            let user = create_user(state, &pool, spec).await?;
            Ok(json!({ "User": user_json(&user, "Attributes", None) }))
        }
        Some("RESEND") => resend_invitation(state, &pool, typed, temp, &mediums).await,
        None => {
            let spec = NewUserSpec {
                typed,
                attrs,
                password: temp,
                permanent: false,
                mediums: Some(mediums),
                force_alias: force,
            };
            let user = create_user(state, &pool, spec).await?;
            Ok(json!({ "User": user_json(&user, "Attributes", None) }))
        }
        Some(other) => Err(ApiError::invalid_parameter(format!(
            "Invalid MessageAction value: {other}"
        ))),
    }
}

async fn resend_invitation(
    state: &State,
    pool: &Arc<PoolRt>,
    typed: &str,
    temp: Option<&str>,
    mediums: &[String],
) -> Result<Value, ApiError> {
    let user = load(state, pool, typed).await?;
    if user.status != UserStatus::ForceChangePassword {
        return Err(ApiError::new(
            ExceptionName::UnsupportedUserState,
            "Resend not possible. User is not in FORCE_CHANGE_PASSWORD state.",
        ));
    }
    let temp = match temp {
        Some(t) => {
            password::check_policy(t, &pool.config.password_policy)?;
            t.to_owned()
        }
        None => password::temporary(&pool.config.password_policy)?,
    };
    let verifier = crypto::make_verifier(&pool.id, &user.username, &temp).await?;
    let expires = temp_expiry(pool);
    let (pool_id, sub) = (pool.id.clone(), user.sub.clone());
    let user = state
        .store
        .write(move |c| {
            let mut u =
                store::user_by_sub(c, &pool_id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            u.verifier = Some(verifier);
            u.temp_expires_ms = Some(expires);
            u.modified_ms = util::now_ms();
            store::update_user(c, &u)?;
            Ok(u)
        })
        .await?;
    for d in invitations(pool, &user, &temp, mediums) {
        record(state, pool, &user, &d);
    }
    Ok(json!({ "User": user_json(&user, "Attributes", None) }))
}

/// Loads a user by username or alias, or fails with UserNotFoundException.
async fn load(state: &State, pool: &Arc<PoolRt>, typed: &str) -> Result<User, ApiError> {
    let pool2 = pool.clone();
    let typed = typed.to_owned();
    state
        .store
        .read(move |c| find_user(c, &pool2, &typed))
        .await?
        .ok_or_else(ApiError::user_not_found)
}

/// Loads, changes and writes back a user in one transaction.
async fn modify<T, F>(state: &State, pool: &Arc<PoolRt>, typed: &str, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&rusqlite::Connection, &PoolRt, &mut User) -> Result<T, ApiError> + Send + 'static,
{
    let pool2 = pool.clone();
    let typed = typed.to_owned();
    state
        .store
        .write(move |c| {
            let mut user = find_user(c, &pool2, &typed)?.ok_or_else(ApiError::user_not_found)?;
            let out = f(c, &pool2, &mut user)?;
            user.modified_ms = util::now_ms();
            store::update_user(c, &user)?;
            Ok(out)
        })
        .await
}

/// AdminGetUser.
pub(crate) async fn admin_get_user(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let user = load(state, &pool, p.req_str("Username")?).await?;
    let mfa = super::mfa::load_user_mfa(state, &user).await?;
    let mut out = user_json(&user, "UserAttributes", None);
    super::mfa::add_user_mfa_json(&mut out, &mfa, true);
    Ok(out)
}

/// AdminConfirmSignUp.
pub(crate) async fn admin_confirm_sign_up(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    modify(state, &pool, p.req_str("Username")?, |c, pool, user| {
        if user.status != UserStatus::Unconfirmed {
            return Err(ApiError::not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        user.status = UserStatus::Confirmed;
        store::consume_code(c, &pool.id, &user.sub, "signup")
    })
    .await?;
    Ok(json!({}))
}

/// Sets a user's password as an admin (shared with the Rust API).
pub(crate) async fn set_password(
    state: &State,
    pool: &Arc<PoolRt>,
    typed: &str,
    password: &str,
    permanent: bool,
) -> Result<(), ApiError> {
    password::check_shape(password, "password")?;
    password::check_policy(password, &pool.config.password_policy)?;
    let user = load(state, pool, typed).await?;
    let verifier = crypto::make_verifier(&pool.id, &user.username, password).await?;
    let expires = temp_expiry(pool);
    modify(state, pool, typed, move |c, pool, user| {
        user.verifier = Some(verifier);
        user.failed = 0;
        user.locked_until_ms = 0;
        if permanent {
            user.status = UserStatus::Confirmed;
            user.temp_expires_ms = None;
        } else {
            user.status = UserStatus::ForceChangePassword;
            user.temp_expires_ms = Some(expires);
        }
        store::revoke_user_sessions(c, &pool.id, &user.sub)
    })
    .await
}

/// AdminSetUserPassword.
pub(crate) async fn admin_set_user_password(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let permanent = p.bool("Permanent")?.unwrap_or(false);
    set_password(
        state,
        &pool,
        p.req_str("Username")?,
        p.req_str("Password")?,
        permanent,
    )
    .await?;
    Ok(json!({}))
}

/// AdminResetUserPassword.
pub(crate) async fn admin_reset_user_password(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let limits = state.limits.clone();
    let (user, d) = modify(
        state,
        &pool,
        p.req_str("Username")?,
        move |c, pool, user| {
            let (attr, dest) =
                codes::recovery_target(user).ok_or_else(codes::no_recovery_target)?;
            let d = codes::issue(
                c,
                &limits,
                pool,
                user,
                Purpose::ForgotPassword,
                &attr,
                &dest,
                limits.code_validity,
            )?;
            if user.status != UserStatus::Unconfirmed {
                user.status = UserStatus::ResetRequired;
            }
            store::revoke_user_sessions(c, &pool.id, &user.sub)?;
            Ok((user.clone(), d))
        },
    )
    .await?;
    record(state, &pool, &user, &d);
    Ok(json!({}))
}

/// AdminUpdateUserAttributes.
pub(crate) async fn admin_update_user_attributes(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let mut updates = p
        .attributes("UserAttributes")?
        .ok_or_else(|| ApiError::missing("UserAttributes"))?;
    attributes::accept_write(&pool.schema, &mut updates, WriteKind::AdminUpdate, None)?;
    let limits = state.limits.clone();
    let typed = p.req_str("Username")?.to_owned();
    let pool2 = pool.clone();
    let (user, deliveries) = state
        .store
        .write(move |c| {
            let mut user = find_user(c, &pool2, &typed)?.ok_or_else(ApiError::user_not_found)?;
            let d = update_attributes(c, &limits, &pool2, &mut user, &updates, true)?;
            Ok((user, d))
        })
        .await?;
    for d in &deliveries {
        record(state, &pool, &user, d);
    }
    Ok(json!({}))
}

/// AdminDisableUser / AdminEnableUser.
pub(crate) async fn admin_set_enabled(
    state: &Arc<State>,
    p: Params<'_>,
    enabled: bool,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    modify(
        state,
        &pool,
        p.req_str("Username")?,
        move |c, pool, user| {
            user.enabled = enabled;
            if !enabled {
                store::revoke_user_sessions(c, &pool.id, &user.sub)?;
            }
            Ok(())
        },
    )
    .await?;
    Ok(json!({}))
}

/// AdminUserGlobalSignOut.
pub(crate) async fn admin_user_global_sign_out(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    modify(state, &pool, p.req_str("Username")?, |c, pool, user| {
        store::revoke_user_sessions(c, &pool.id, &user.sub)
    })
    .await?;
    Ok(json!({}))
}

/// AdminDeleteUser.
pub(crate) async fn admin_delete_user(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let pool2 = pool.clone();
    let typed = p.req_str("Username")?.to_owned();
    state
        .store
        .write(move |c| {
            let user = find_user(c, &pool2, &typed)?.ok_or_else(ApiError::user_not_found)?;
            store::delete_user(c, &pool2.id, &user.sub)
        })
        .await?;
    Ok(json!({}))
}

/// A ListUsers filter: `attr = "value"` or `attr ^= "prefix"`.
struct Filter {
    attr: String,
    value: String,
    prefix: bool,
}

const FILTERABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

fn parse_filter(text: &str) -> Result<Option<Filter>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid_parameter("Error while parsing filter.");
    let (attr, rest, prefix) = if let Some((a, r)) = text.split_once("^=") {
        (a, r, true)
    } else if let Some((a, r)) = text.split_once('=') {
        (a, r, false)
    } else {
        return Err(bad());
    };
    let attr = attr.trim().trim_matches('"').to_owned();
    let rest = rest.trim();
    let value = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(bad)?
        .to_owned();
    if !FILTERABLE.contains(&attr.as_str()) {
        return Err(ApiError::invalid_parameter("Invalid search attribute"));
    }
    Ok(Some(Filter {
        attr,
        value,
        prefix,
    }))
}

impl Filter {
    fn matches(&self, user: &User) -> bool {
        let actual: Option<String> = match self.attr.as_str() {
            "username" => Some(user.username.clone()),
            "cognito:user_status" => Some(user.status.as_str().to_owned()),
            "status" => Some(if user.enabled { "Enabled" } else { "Disabled" }.to_owned()),
            other => user.attr(other).map(str::to_owned),
        };
        match actual {
            Some(a) if self.prefix => a.starts_with(&self.value),
            Some(a) => a == self.value,
            None => false,
        }
    }
}

/// ListUsers.
pub(crate) async fn list_users(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    // 0, like an absent Limit, means the most (60).
    let limit = match page_size(&p, ("Limit", "limit"), 60, 0, 60)? {
        0 => 60,
        n => n,
    };
    let filter = parse_filter(p.str("Filter")?.unwrap_or(""))?;
    let only = p.str_list("AttributesToGet")?;
    let mut after = page_after(PageOf::Users(&pool.id), p.str("PaginationToken")?)?;
    let mut found: Vec<User> = Vec::new();
    let mut more = false;
    loop {
        let pool_id = pool.id.clone();
        let from = after.clone();
        let batch = state
            .store
            .read(move |c| store::list_users(c, &pool_id, &from, 500))
            .await?;
        let exhausted = batch.len() < 500;
        for u in batch {
            after = u.sub.clone();
            if filter.as_ref().is_none_or(|f| f.matches(&u)) {
                if found.len() == limit {
                    more = true;
                    break;
                }
                found.push(u);
            }
        }
        if more || exhausted {
            break;
        }
    }
    let users: Vec<Value> = found
        .iter()
        .map(|u| user_json(u, "Attributes", only.as_deref()))
        .collect();
    let mut out = json!({ "Users": users });
    if more && let Some(last) = found.last() {
        out["PaginationToken"] = json!(page_token(PageOf::Users(&pool.id), &last.sub));
    }
    Ok(out)
}
