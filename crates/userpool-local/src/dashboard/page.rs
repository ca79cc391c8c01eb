//! The dashboard page: what it shows, read through the store and the outbox
//! ([`gather`]), and its HTML ([`render`], maud: every value is escaped).

use std::collections::HashMap;
use std::sync::Arc;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::signins::{Outcome, SignIn};
use crate::config::{ClientConfig, PoolConfig};
use crate::error::ApiError;
use crate::outbox::OutboxRecord;
use crate::state::State;
use crate::store::{self, User, UserMfa};

/// Most pools shown.
const MAX_POOLS: usize = 50;
/// Most app clients shown per pool.
const MAX_CLIENTS: usize = 50;
/// Most users shown per pool (the first by `sub`; ListUsers reads the rest).
const MAX_USERS: usize = 200;
/// Most outbox records shown, newest first.
const MAX_OUTBOX: usize = 50;

/// A user as the page shows it.
pub(crate) struct UserView {
    pub user: User,
    pub groups: Vec<String>,
    pub mfa: UserMfa,
}

/// A pool as the page shows it.
pub(crate) struct PoolView {
    pub id: String,
    pub config: PoolConfig,
    pub clients: Vec<(String, ClientConfig)>,
    pub users: Vec<UserView>,
    pub user_count: i64,
    pub more_clients: bool,
}

/// Everything the page shows.
pub(crate) struct View {
    pub pools: Vec<PoolView>,
    pub more_pools: bool,
    /// The newest outbox records, newest first.
    pub outbox: Vec<OutboxRecord>,
    /// The newest record of each (pool, username).
    pub latest: HashMap<(String, String), OutboxRecord>,
    pub sign_ins: Vec<SignIn>,
}

/// Reads what the page shows: pools, clients, users with groups and MFA (one read
/// transaction), the outbox and the recent sign-ins.
pub(crate) async fn gather(state: &Arc<State>) -> Result<View, ApiError> {
    let (pools, more_pools) = state
        .store
        .read(|c| {
            let rows = store::list_pools(c, "", MAX_POOLS + 1)?;
            let more = rows.len() > MAX_POOLS;
            let mut pools = Vec::new();
            for (id, config, _, _) in rows.into_iter().take(MAX_POOLS) {
                let config: PoolConfig =
                    serde_json::from_str(&config).map_err(ApiError::internal)?;
                let mut clients = Vec::new();
                let client_rows = store::list_clients(c, &id, "", MAX_CLIENTS + 1)?;
                let more_clients = client_rows.len() > MAX_CLIENTS;
                for (client_id, cfg) in client_rows.into_iter().take(MAX_CLIENTS) {
                    let cfg: ClientConfig =
                        serde_json::from_str(&cfg).map_err(ApiError::internal)?;
                    clients.push((client_id, cfg));
                }
                let mut users = Vec::new();
                for user in store::list_users(c, &id, "", MAX_USERS)? {
                    let groups = store::groups_of_user(c, &id, &user.sub, "", usize::MAX)?
                        .into_iter()
                        .map(|g| g.name)
                        .collect();
                    let mfa = store::user_mfa(c, &id, &user.sub)?;
                    users.push(UserView { user, groups, mfa });
                }
                users.sort_by(|a, b| a.user.username.cmp(&b.user.username));
                let user_count = store::count_users(c, &id)?;
                pools.push(PoolView {
                    id,
                    config,
                    clients,
                    users,
                    user_count,
                    more_clients,
                });
            }
            Ok((pools, more))
        })
        .await?;
    let records = state.outbox.records();
    let mut latest = HashMap::new();
    for r in &records {
        latest.insert((r.pool_id.clone(), r.username.clone()), r.clone());
    }
    let outbox = records.into_iter().rev().take(MAX_OUTBOX).collect();
    Ok(View {
        pools,
        more_pools,
        outbox,
        latest,
        sign_ins: state.dashboard.sign_ins.newest_first(),
    })
}

/// What [`render`] needs besides the view.
pub(crate) struct Context<'a> {
    pub view: &'a View,
    pub csrf: &'a str,
    pub nonce: &'a str,
    /// The change counter the page was read at (its poll waits for another).
    pub version: u64,
    /// `http://<Host>` as the browser sees the server.
    pub endpoint: &'a str,
    /// `(done, user)` of the action just done.
    pub notice: Option<(&'a str, &'a str)>,
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f4f5f7}
header{background:#232f3e;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;align-items:baseline}
header h1{font-size:1.1rem;margin:0}
header code{color:#ffd58a}
nav{padding:.4rem 1rem;background:#fff;border-bottom:1px solid #dde1e6;display:flex;flex-wrap:wrap;gap:.2rem 1rem}
main{padding:0 .8rem 2rem;max-width:96rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:.9rem 0;padding:.4rem .9rem .8rem}
h2{font-size:1.05rem;margin:.5rem 0}
h3{font-size:.95rem;margin:.8rem 0 .3rem;color:#4a5562}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;min-width:36rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #edf0f2}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#5b6673}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88em;overflow-wrap:anywhere}
ul.attrs{list-style:none;margin:0;padding:0}
.status{font-weight:600;white-space:nowrap}
.status.UNCONFIRMED{color:#9a5800}.status.CONFIRMED{color:#1d7a2e}
.status.FORCE_CHANGE_PASSWORD,.status.RESET_REQUIRED{color:#b3261e}
.muted{color:#6b7785}
.notice{background:#e6f4ea;border:1px solid #b7dfc2;padding:.5rem .9rem;border-radius:6px;margin:.9rem 0}
.stale{background:#fff4d6;border-color:#f0d58a}
.ok{color:#1d7a2e;font-weight:600}.fail{color:#b3261e;font-weight:600}
.code{font-size:1.05em;letter-spacing:.06em;user-select:all;background:#f1f3f5;padding:0 .25rem;border-radius:3px}
form{margin:.2rem 0}
input[type=text]{font:inherit;padding:.15rem .3rem;width:11rem;max-width:100%}
button{font:inherit;padding:.1rem .6rem;cursor:pointer}
details summary{cursor:pointer;color:#0b5cad}
.danger{color:#b3261e}
/* A phone: each row a card, each cell on a line of its own under its column's name. */
@media (max-width:40rem){
 main{padding:0 .4rem 2rem}
 section{padding:.3rem .6rem .6rem}
 table{min-width:0}
 thead{display:none}
 table,tbody,tr,td{display:block;width:100%}
 tr{border-bottom:2px solid #dde1e6;padding:.3rem 0}
 td{border:0;padding:.15rem 0 .15rem 6.8rem;position:relative;min-height:1.6rem}
 td::before{content:attr(data-label);position:absolute;left:0;top:.3rem;width:6.3rem;font-size:.72rem;text-transform:uppercase;color:#5b6673}
}
"#;

/// Reloads the page when the server's change counter moves (long poll), unless a field is
/// being filled in or a form was just sent (the action itself moves the counter, and a
/// reload then would cancel the form's own navigation to the page with its notice); and
/// the copy buttons. The notice's query (`?done=...`) is dropped from the address once
/// shown, so that a later reload does not show it again.
const SCRIPT: &str = r#"
(function () {
  var body = document.body;
  var version = body.getAttribute('data-version');
  var leaving = false;
  document.addEventListener('submit', function () { leaving = true; });
  if (location.search && history.replaceState) { history.replaceState(null, '', '/'); }
  function editing() {
    var fields = document.querySelectorAll('input[type=text]');
    for (var i = 0; i < fields.length; i++) { if (fields[i].value) { return true; } }
    return false;
  }
  function poll() {
    fetch('/_local/dashboard/changes?since=' + version, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (j) {
        var now = String(j.version);
        if (leaving) { return; }
        if (now === version) { poll(); return; }
        if (!editing()) { location.reload(); return; }
        version = now;
        document.getElementById('stale').hidden = false;
        poll();
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
  var buttons = document.querySelectorAll('button[data-copy]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', function (e) {
      var b = e.currentTarget;
      navigator.clipboard.writeText(b.getAttribute('data-copy')).then(
        function () { b.textContent = 'Copied'; },
        function () { b.textContent = 'Select the code to copy'; });
    });
  }
})();
"#;

/// A time in UTC, `2025-01-31 13:45:07`.
fn time(ms: i64) -> String {
    let t = userpool_srp::calendar::CivilTime::from_unix(ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn system_time_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn notice_text(done: &str, user: &str) -> Option<String> {
    Some(match done {
        "confirmed" => format!("Confirmed {user}."),
        "password-set" => format!("Password set for {user}."),
        "deleted" => format!("Deleted {user}."),
        _ => return None,
    })
}

fn mfa_text(mfa: &UserMfa) -> String {
    let mut on: Vec<String> = Vec::new();
    for (factor, name) in [
        ("SMS_MFA", "SMS"),
        ("SOFTWARE_TOKEN_MFA", "TOTP"),
        ("EMAIL_OTP", "email"),
    ] {
        if mfa.enabled(factor) {
            if mfa.preferred.as_deref() == Some(factor) {
                on.push(format!("{name} (preferred)"));
            } else {
                on.push(name.to_owned());
            }
        }
    }
    if on.is_empty() {
        if mfa.totp_secret.is_some() {
            "TOTP set up, off".to_owned()
        } else {
            "off".to_owned()
        }
    } else {
        on.join(", ")
    }
}

fn pool_mfa_text(config: &PoolConfig) -> String {
    let m = &config.mfa;
    let mut factors = Vec::new();
    if m.sms {
        factors.push("SMS");
    }
    if m.software_token {
        factors.push("TOTP");
    }
    if m.email {
        factors.push("email");
    }
    if factors.is_empty() {
        m.mode.wire().to_owned()
    } else {
        format!("{} ({})", m.mode.wire(), factors.join(", "))
    }
}

/// The hidden fields every action form carries.
fn target_fields(ctx: &Context<'_>, pool: &str, username: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(ctx.csrf);
        input type="hidden" name="pool" value=(pool);
        input type="hidden" name="username" value=(username);
    }
}

fn code_cell(record: &OutboxRecord) -> Markup {
    html! {
        span.code data-code=(record.code) { (record.code) }
        " "
        button type="button" data-copy=(record.code) title="Copy the code" { "Copy" }
        br;
        span.muted { (record.purpose.name()) " · " (record.medium.wire()) }
    }
}

fn user_row(ctx: &Context<'_>, pool: &PoolView, u: &UserView) -> Markup {
    let user = &u.user;
    let status = user.status.as_str();
    let latest = ctx
        .view
        .latest
        .get(&(pool.id.clone(), user.username.clone()));
    html! {
        tr data-user=(user.username) data-pool=(pool.id) {
            td data-label="Username" { code { (user.username) } }
            td data-label="Status" {
                span class=(format!("status {status}")) data-status=(status) { (status) }
                @if !user.enabled { br; span.fail { "disabled" } }
                @if user.locked_at(crate::util::now_ms()) { br; span.fail { "locked out" } }
            }
            td data-label="Attributes" {
                ul.attrs {
                    @for (name, value) in user.all_attrs() {
                        li { span.muted { (name) } " " code { (value) } }
                    }
                }
            }
            td data-label="Groups" {
                @if u.groups.is_empty() { span.muted { "none" } }
                @else { (u.groups.join(", ")) }
            }
            td data-label="MFA" data-mfa=(mfa_text(&u.mfa)) { (mfa_text(&u.mfa)) }
            td data-label="Latest code" {
                @match latest {
                    Some(r) => (code_cell(r)),
                    None => span.muted { "none" },
                }
            }
            td data-label="Actions" {
                @if user.status == store::UserStatus::Unconfirmed {
                    form method="post" action=(super::CONFIRM_PATH) data-action="confirm" {
                        (target_fields(ctx, &pool.id, &user.username))
                        button type="submit" { "Confirm user" }
                    }
                }
                details {
                    summary { "Set password" }
                    form method="post" action=(super::SET_PASSWORD_PATH) data-action="set-password" {
                        (target_fields(ctx, &pool.id, &user.username))
                        input type="text" name="password" placeholder="new password"
                            autocomplete="off" spellcheck="false" required;
                        br;
                        label {
                            input type="checkbox" name="permanent" value="on" checked;
                            " permanent (else temporary: FORCE_CHANGE_PASSWORD)"
                        }
                        br;
                        button type="submit" { "Set password" }
                    }
                }
                details {
                    summary.danger { "Delete" }
                    form method="post" action=(super::DELETE_PATH) data-action="delete" {
                        (target_fields(ctx, &pool.id, &user.username))
                        button.danger type="submit" { "Delete " (user.username) }
                    }
                }
            }
        }
    }
}

fn pool_section(ctx: &Context<'_>, pool: &PoolView) -> Markup {
    let c = &pool.config;
    html! {
        section id=(format!("pool-{}", pool.id)) data-pool=(pool.id) {
            h2 { (c.name) " " code.muted { (pool.id) } }
            p {
                "MFA: " (pool_mfa_text(c))
                @if !c.username_attributes.is_empty() {
                    " · sign in with " (c.username_attributes.join(", "))
                }
                @if !c.alias_attributes.is_empty() {
                    " · aliases: " (c.alias_attributes.join(", "))
                }
            }
            h3 { "App clients" }
            @if pool.clients.is_empty() { p.muted { "No app clients." } }
            @else {
                div.scroll { table {
                    thead { tr { th { "Name" } th { "Client id" } th { "Secret" } th { "Auth flows" } th { "OAuth" } } }
                    tbody {
                        @for (id, cfg) in &pool.clients {
                            tr data-client=(id) {
                                td data-label="Name" { (cfg.name) }
                                td data-label="Client id" { code { (id) } }
                                td data-label="Secret" { @if cfg.generate_secret { "yes" } @else { span.muted { "no" } } }
                                td data-label="Auth flows" { code { (cfg.explicit_auth_flows.join(" ")) } }
                                td data-label="OAuth" {
                                    @if cfg.allowed_oauth_flows.is_empty() { span.muted { "off" } }
                                    @else {
                                        (cfg.allowed_oauth_flows.join(", "))
                                        @for url in &cfg.callback_urls { br; code { (url) } }
                                    }
                                }
                            }
                        }
                    }
                } }
                @if pool.more_clients { p.muted { "Only the first " (MAX_CLIENTS) " app clients are shown." } }
            }
            h3 { "Users (" (pool.user_count) ")" }
            @if pool.users.is_empty() { p.muted { "No users." } }
            @else {
                div.scroll { table {
                    thead { tr {
                        th { "Username" } th { "Status" } th { "Attributes" } th { "Groups" }
                        th { "MFA" } th { "Latest code" } th { "Actions" }
                    } }
                    tbody { @for u in &pool.users { (user_row(ctx, pool, u)) } }
                } }
                @if pool.user_count > i64::try_from(pool.users.len()).unwrap_or(i64::MAX) {
                    p.muted { "Only " (pool.users.len()) " users are shown; ListUsers reads them all." }
                }
            }
        }
    }
}

fn outbox_section(view: &View) -> Markup {
    html! {
        section #outbox {
            h2 { "Outbox" }
            p.muted { "Codes and temporary passwords the pool would have sent, newest first (also at " code { "/_local/outbox" } ")." }
            @if view.outbox.is_empty() { p.muted { "Nothing sent yet." } }
            @else {
                div.scroll { table {
                    thead { tr { th { "Time (UTC)" } th { "Pool" } th { "User" } th { "To" } th { "Code" } } }
                    tbody {
                        @for r in &view.outbox {
                            tr data-seq=(r.seq) data-user=(r.username) {
                                td.mono data-label="Time (UTC)" { (time(system_time_ms(r.time))) }
                                td data-label="Pool" { code { (r.pool_id) } }
                                td data-label="User" { code { (r.username) } }
                                td data-label="To" { (r.destination) }
                                td data-label="Code" { (code_cell(r)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn sign_ins_section(view: &View) -> Markup {
    html! {
        section #sign-ins {
            h2 { "Recent sign-ins" }
            @if view.sign_ins.is_empty() { p.muted { "No sign-ins since the server started." } }
            @else {
                div.scroll { table {
                    thead { tr { th { "Time (UTC)" } th { "Pool" } th { "User" } th { "Client" } th { "Step" } th { "Outcome" } } }
                    tbody {
                        @for s in &view.sign_ins {
                            tr data-user=(s.username) {
                                td.mono data-label="Time (UTC)" { (time(s.at_ms)) }
                                td data-label="Pool" { code { (s.pool_id.as_deref().unwrap_or("?")) } }
                                td data-label="User" { code { (s.username) } }
                                td data-label="Client" { code { (s.client_id) } }
                                td data-label="Step" { code { (s.step) } }
                                td data-label="Outcome" {
                                    @match &s.outcome {
                                        Outcome::Success => span.ok { "signed in" },
                                        Outcome::Failure { kind, message } => {
                                            span.fail { (kind) } br; span.muted { (message) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// The dashboard page.
pub(crate) fn render(ctx: &Context<'_>) -> String {
    let view = ctx.view;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { "userpool-local dashboard" }
                style nonce=(ctx.nonce) { (PreEscaped(CSS)) }
            }
            body data-version=(ctx.version) {
                header {
                    h1 { "userpool-local" }
                    span { "endpoint " code { (ctx.endpoint) } }
                    span { (view.pools.len()) " pool(s)" }
                }
                nav {
                    @for p in &view.pools { a href=(format!("#pool-{}", p.id)) { (p.config.name) } }
                    a href="#outbox" { "Outbox" }
                    a href="#sign-ins" { "Sign-ins" }
                }
                main {
                    @if let Some(text) = ctx.notice.and_then(|(d, u)| notice_text(d, u)) {
                        p.notice #notice role="status" { (text) }
                    }
                    p.notice.stale #stale hidden { "The pool changed while you were typing: "
                        a href="/" { "reload" } " to see it." }
                    @if view.pools.is_empty() {
                        section { p { "No user pools yet. Create one with CreateUserPool, a seed file (--seed) or "
                            code { "LocalPool::create_pool" } "." } }
                    }
                    @for p in &view.pools { (pool_section(ctx, p)) }
                    @if view.more_pools { p.muted { "Only the first " (MAX_POOLS) " pools are shown." } }
                    (outbox_section(view))
                    (sign_ins_section(view))
                    p.muted { "This page reloads itself when the pool changes. It is served to this machine only." }
                }
                script nonce=(ctx.nonce) { (PreEscaped(SCRIPT)) }
            }
        }
    };
    markup.into_string()
}

/// A page with a title and one message (refusals and errors).
pub(crate) fn message_page(title: &str, message: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "userpool-local: " (title) }
            }
            body {
                h1 { (title) }
                p #message { (message) }
                p { a href="/" { "Back to the dashboard" } }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(time(1_700_000_000_123), "2023-11-14 22:13:20");
    }

    #[test]
    fn only_known_notices_are_shown() {
        assert_eq!(
            notice_text("deleted", "ada").as_deref(),
            Some("Deleted ada.")
        );
        assert_eq!(notice_text("<b>", "ada"), None);
    }

    #[test]
    fn messages_are_escaped() {
        let page = message_page("<t>", "<script>alert(1)</script>");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
    }
}
