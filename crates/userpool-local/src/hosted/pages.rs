//! The hosted pages' HTML (maud templates, compiled in): the sign-in form and the pages
//! that follow it (new password, MFA code, confirmation code, forgotten password, reset),
//! and the error page. Plain server-rendered forms, no JavaScript, a little inline CSS,
//! readable on a phone. Every form carries the CSRF token and the id of the sign-in in
//! progress; nothing else about the authorization request is in the page.
//!
//! Every answer here is `Cache-Control: no-store` (a page holds a CSRF token, and a
//! shared computer's back button must not show a filled-in form), cannot be framed
//! (`X-Frame-Options: DENY`, `frame-ancestors 'none'`: no clickjacking of the sign-in) and
//! sends no `Referer` onwards (`Referrer-Policy: no-referrer`: the URL carries the
//! authorization request).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::cookie::CSRF_FIELD;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#16191f}\
main{max-width:24rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}\
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem;font-weight:600}\
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #8d99a8;border-radius:4px;font-size:1rem}\
button{margin-top:1.2rem;width:100%;padding:.65rem;border:0;border-radius:4px;background:#0972d3;color:#fff;font-size:1rem;cursor:pointer}\
.error{background:#fff1f0;border:1px solid #d91515;color:#d91515;padding:.6rem;border-radius:4px}\
.info{background:#f2f8fd;border:1px solid #0972d3;padding:.6rem;border-radius:4px}\
.links{margin-top:1rem;font-size:.9rem}footer{text-align:center;font-size:.8rem;color:#5f6b7a;margin:1rem}";

/// What every form of a page needs: where the domain's pages are, the CSRF token, the
/// sign-in in progress.
#[derive(Clone, Copy)]
pub(crate) struct FormCtx<'a> {
    pub domain: &'a str,
    pub csrf: &'a str,
    pub pending: &'a str,
}

// By hand: the CSRF token and the pending id are secrets of the browser.
impl std::fmt::Debug for FormCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormCtx")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// What a page says above its form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notice {
    pub error: Option<String>,
    pub info: Option<String>,
}

impl Notice {
    pub(crate) fn error(text: impl Into<String>) -> Self {
        Self {
            error: Some(text.into()),
            info: None,
        }
    }

    pub(crate) fn info(text: impl Into<String>) -> Self {
        Self {
            error: None,
            info: Some(text.into()),
        }
    }
}

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (STYLE) }
            }
            body {
                main { (body) }
                footer { "userpool-local: hosted sign-in" }
            }
        }
    }
}

fn notice(n: &Notice) -> Markup {
    html! {
        @if let Some(e) = &n.error { p.error role="alert" id="error" { (e) } }
        @if let Some(i) = &n.info { p.info id="info" { (i) } }
    }
}

/// A form of the pages: posts to `/{domain}/{action}` with the CSRF token and the id of
/// the sign-in in progress, then `fields`.
fn form(ctx: FormCtx<'_>, action: &str, fields: Markup) -> Markup {
    html! {
        form method="post" action={ "/" (ctx.domain) "/" (action) } {
            input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf);
            input type="hidden" name="pending" value=(ctx.pending);
            (fields)
        }
    }
}

/// The sign-in form (`POST /{domain}/login`).
pub(crate) fn sign_in(ctx: FormCtx<'_>, username: Option<&str>, n: &Notice) -> Markup {
    layout(
        "Sign in",
        html! {
            h1 { "Sign in with your username and password" }
            (notice(n))
            (form(ctx, "login", html! {
                label for="signInFormUsername" { "Username" }
                input id="signInFormUsername" type="text" name="username" value=[username]
                    autocomplete="username" autocapitalize="none" required autofocus[username.is_none()];
                label for="signInFormPassword" { "Password" }
                input id="signInFormPassword" type="password" name="password"
                    autocomplete="current-password" required autofocus[username.is_some()];
                button type="submit" name="signInSubmitButton" { "Sign in" }
            }))
            p.links {
                a href={ "/" (ctx.domain) "/forgotPassword?pending=" (ctx.pending) } { "Forgot your password?" }
            }
        },
    )
}

/// The new password a user with a temporary password must choose (`POST /{domain}/newPassword`).
pub(crate) fn new_password(ctx: FormCtx<'_>, n: &Notice) -> Markup {
    layout(
        "Change password",
        html! {
            h1 { "Change Password" }
            p { "Please enter your new password below." }
            (notice(n))
            (form(ctx, "newPassword", html! {
                label for="new_password" { "New Password" }
                input id="new_password" type="password" name="new_password" autocomplete="new-password" required autofocus;
                label for="confirm_password" { "Enter New Password Again" }
                input id="confirm_password" type="password" name="confirm_password" autocomplete="new-password" required;
                button type="submit" { "Send" }
            }))
        },
    )
}

/// The MFA code page (`POST /{domain}/mfa`).
pub(crate) fn mfa(
    ctx: FormCtx<'_>,
    challenge: &str,
    destination: Option<&str>,
    n: &Notice,
) -> Markup {
    let prompt = match challenge {
        "SOFTWARE_TOKEN_MFA" => "Enter the code from your authenticator app.".to_owned(),
        _ => match destination {
            Some(d) => format!("We have sent a code to {d}. Enter it below."),
            None => "Enter the code we have sent you.".to_owned(),
        },
    };
    layout(
        "Multi-factor authentication",
        html! {
            h1 { "Multi-factor authentication" }
            p { (prompt) }
            (notice(n))
            (form(ctx, "mfa", html! {
                label for="totpCodeInput" { "Code" }
                input id="totpCodeInput" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
                button type="submit" { "Sign in" }
            }))
        },
    )
}

/// The confirmation page of a user who signed up and has not confirmed (`POST /{domain}/confirm`).
pub(crate) fn confirm(ctx: FormCtx<'_>, destination: Option<&str>, n: &Notice) -> Markup {
    layout(
        "Confirm your account",
        html! {
            h1 { "Confirm your account" }
            @if let Some(d) = destination { p { "We have sent a code to " (d) ". Enter it below to confirm your account." } }
            @else { p { "Enter the confirmation code we have sent you." } }
            (notice(n))
            (form(ctx, "confirm", html! {
                label for="code" { "Verification Code" }
                input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
                button type="submit" { "Confirm Account" }
            }))
        },
    )
}

/// The forgotten-password page: the username to send a code for (`POST /{domain}/forgotPassword`).
pub(crate) fn forgot_password(ctx: FormCtx<'_>, n: &Notice) -> Markup {
    layout(
        "Forgot your password?",
        html! {
            h1 { "Forgot your password?" }
            p { "Enter your username below and we will send a message to reset your password." }
            (notice(n))
            (form(ctx, "forgotPassword", html! {
                label for="username" { "Username" }
                input id="username" type="text" name="username" autocomplete="username" autocapitalize="none" required autofocus;
                button type="submit" { "Reset my password" }
            }))
        },
    )
}

/// The reset page: the code sent and the new password (`POST /{domain}/confirmForgotPassword`).
pub(crate) fn reset_password(ctx: FormCtx<'_>, destination: Option<&str>, n: &Notice) -> Markup {
    layout(
        "Reset your password",
        html! {
            h1 { "Reset your password" }
            @if let Some(d) = destination { p { "We have sent a password reset code to " (d) ". Enter it below to reset your password." } }
            @else { p { "Enter the password reset code we have sent you, and your new password." } }
            (notice(n))
            (form(ctx, "confirmForgotPassword", html! {
                label for="code" { "Code" }
                input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
                label for="password" { "New Password" }
                input id="password" type="password" name="password" autocomplete="new-password" required;
                label for="confirm_password" { "Enter New Password Again" }
                input id="confirm_password" type="password" name="confirm_password" autocomplete="new-password" required;
                button type="submit" { "Change Password" }
            }))
        },
    )
}

/// The error page: what went wrong, never a redirect (the request's redirect URI is not
/// trusted, or there is none).
pub(crate) fn error(error: &str, description: &str) -> Markup {
    layout(
        "An error was encountered",
        html! {
            h1 { "An error was encountered with the requested page." }
            p.error role="alert" id="error" {
                strong { (error) } br; (description)
            }
        },
    )
}

/// A page as an answer, with the hosted pages' headers and any cookies to set.
pub(crate) fn answer(status: StatusCode, page: Markup, cookies: &[HeaderValue]) -> Response {
    let mut resp = (status, page.into_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(h);
    for c in cookies {
        h.append(header::SET_COOKIE, c.clone());
    }
    resp
}

/// The error page as an answer.
pub(crate) fn error_answer(status: StatusCode, error: &str, description: &str) -> Response {
    answer(status, self::error(error, description), &[])
}

/// The headers of every hosted answer (pages and redirects alike).
pub(crate) fn secure_headers(h: &mut axum::http::HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // No `form-action`: Chromium applies it to the redirect after a form is sent, and the
    // sign-in's redirect goes to the app.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// A `302 Found` to `location`, with the hosted headers and any cookies to set.
pub(crate) fn redirect(location: &str, cookies: &[HeaderValue]) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return error_answer(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The redirect address cannot be sent in a header.",
        );
    };
    let mut resp = StatusCode::FOUND.into_response();
    let h = resp.headers_mut();
    h.insert(header::LOCATION, value);
    secure_headers(h);
    for c in cookies {
        h.append(header::SET_COOKIE, c.clone());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_page_escapes_what_it_repeats_and_carries_the_csrf_token() {
        let ctx = FormCtx {
            domain: "my-app",
            csrf: "tok",
            pending: "p1",
        };
        let page = sign_in(
            ctx,
            Some("<script>x</script>"),
            &Notice::error("Bad & wrong"),
        )
        .into_string();
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"), "{page}");
        assert!(!page.contains("<script>"));
        assert!(page.contains("Bad &amp; wrong"));
        assert!(page.contains(r#"name="_csrf" value="tok""#), "{page}");
        assert!(page.contains(r#"action="/my-app/login""#));
        assert!(page.contains("viewport"));
    }
}
