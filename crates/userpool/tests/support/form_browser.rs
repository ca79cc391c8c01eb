//! A browser for the hosted sign-in tests, over plain HTTP: it opens the URL a client gives
//! it, follows the redirects, reads the sign-in form (its action and hidden fields, the
//! CSRF token among them), posts the credentials with the pool's cookies, and follows the
//! 302 to the client's loopback port. Shared by the facade's end-to-end test
//! (`tests/hosted_redirect.rs`) and the CLI's (`userpool-cli/tests/cli.rs`, by `#[path]`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use userpool::Error;

#[path = "../../../userpool-local/tests/it/url_text.rs"]
mod url_text;
pub use url_text::{encode, url_param};

/// How long one HTTP exchange of the test's browser may take.
pub const STEP: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------ HTTP

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), bounded by [`STEP`].
pub async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let mut head =
            format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stream.write_all(body).await.map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| e.to_string())?;
        parse_answer(&String::from_utf8_lossy(&raw))
    };
    tokio::time::timeout(STEP, exchange)
        .await
        .map_err(|_| format!("{method} {target}: no answer in {STEP:?}"))?
}

pub fn parse_answer(text: &str) -> Result<Answer, String> {
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP head in {text:?}"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut out = String::new();
        let mut s = rest;
        while let Some((size, after)) = s.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            if n == 0 || after.len() < n {
                break;
            }
            out.push_str(&after[..n]);
            s = after[n..].strip_prefix("\r\n").unwrap_or(&after[n..]);
        }
        out
    } else {
        rest.to_owned()
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `http://host:port/path?query` → the address and `/path?query`.
pub fn split_url(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http URL: {url}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr = authority
        .parse()
        .map_err(|e| format!("{authority} is not an IP address and port: {e}"))?;
    let path = if path.is_empty() { "/" } else { path };
    Ok((addr, path.to_owned()))
}

// ------------------------------------------------------------------ the form browser

/// What the person at the browser does with the next page the app opens.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Signs in with these credentials.
    SignIn(&'static str, &'static str),
    /// Signs in with these credentials, but the redirect that reaches the app carries the
    /// last one as its `state` (a forged or stale redirect).
    SignInWithState(&'static str, &'static str, &'static str),
    /// Looks at the sign-in page, then cancels: the browser comes back to the app with
    /// `error=access_denied`, as it does when a person declines at an identity provider.
    Cancel,
    /// Opens the page and walks away.
    WalkAway,
    /// Follows the page's redirects (the sign-out).
    Follow,
}

/// A browser over plain HTTP: a cookie jar per server, redirects followed by hand, forms
/// read from the HTML. `open` starts the person's work on a task and returns at once, as
/// a system browser does.
#[derive(Clone, Default)]
pub struct FormBrowser {
    plan: Arc<Mutex<Option<Plan>>>,
    cookies: Arc<Mutex<Vec<(SocketAddr, String, String)>>>,
    /// What each `open` ended with: the last page's answer, or why it failed.
    outcomes: Arc<Mutex<Vec<Result<Answer, String>>>>,
    /// Every URL the browser was asked to open.
    opened: Arc<Mutex<Vec<String>>>,
}

impl FormBrowser {
    pub fn plan(&self, plan: Plan) {
        *self.plan.lock().unwrap() = Some(plan);
    }

    pub fn opened(&self) -> Vec<String> {
        self.opened.lock().unwrap().clone()
    }

    /// What the last `open` ended with, once it has ended (the client may answer the
    /// browser and return before the browser has read the answer), waiting at most
    /// [`STEP`].
    pub async fn last_outcome(&self) -> Result<Answer, String> {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(outcome) = self.outcomes.lock().unwrap().pop() {
                return outcome;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("the browser did not finish in {STEP:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn cookie_header(&self, addr: SocketAddr) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .filter(|(a, _, _)| *a == addr)
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&self, addr: SocketAddr, answer: &Answer) {
        let mut jar = self.cookies.lock().unwrap();
        for (name, value) in &answer.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let mut parts = value.split(';');
            let Some((n, v)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (n, v) = (n.trim().to_owned(), v.trim().to_owned());
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            jar.retain(|(a, c, _)| !(*a == addr && *c == n));
            if !expired && !v.is_empty() {
                jar.push((addr, n, v));
            }
        }
    }

    /// Sends a request with the jar's cookies for that server, keeps the new ones.
    async fn send(
        &self,
        method: &str,
        url: &str,
        form: Option<&[(String, String)]>,
    ) -> Result<Answer, String> {
        let (addr, target) = split_url(url)?;
        let cookie = self.cookie_header(addr);
        let mut headers = vec![("Accept", "text/html")];
        if !cookie.is_empty() {
            headers.push(("Cookie", &cookie));
        }
        let body = form.map(|fields| {
            fields
                .iter()
                .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        if body.is_some() {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let answer = request(
            addr,
            method,
            &target,
            &headers,
            body.as_deref().unwrap_or("").as_bytes(),
        )
        .await?;
        self.keep_cookies(addr, &answer);
        Ok(answer)
    }

    /// GETs `url` and follows redirects (at most 10): the final URL and answer.
    pub async fn navigate(&self, url: &str) -> Result<(String, Answer), String> {
        let mut url = url.to_owned();
        for _ in 0..10 {
            let answer = self.send("GET", &url, None).await?;
            if !(300..400).contains(&answer.status) {
                return Ok((url, answer));
            }
            url = resolve(&url, location(&answer)?)?;
        }
        Err(format!("more than 10 redirects, the last to {url}"))
    }

    /// What the person does with `url`, to the last page.
    pub async fn work(&self, url: String, plan: Plan) -> Result<Answer, String> {
        if matches!(plan, Plan::Follow) {
            return self.navigate(&url).await.map(|(_, answer)| answer);
        }
        let redirect_uri = url_param(&url, "redirect_uri").ok_or("no redirect_uri")?;
        let state = url_param(&url, "state").ok_or("no state")?;
        let (page_url, page) = self.navigate(&url).await?;
        if page.status != 200 {
            return Err(format!("the sign-in page: {} {}", page.status, page.body));
        }
        let (user, password, state) = match plan {
            Plan::SignIn(user, password) => (user, password, None),
            Plan::SignInWithState(user, password, forged) => (user, password, Some(forged)),
            Plan::Cancel => {
                let back = format!(
                    "{redirect_uri}?error=access_denied&error_description={}&state={}",
                    encode("The user cancelled the sign-in"),
                    encode(&state)
                );
                return self.navigate(&back).await.map(|(_, answer)| answer);
            }
            Plan::WalkAway | Plan::Follow => return Ok(page),
        };
        let form = Form::of(&page.body)?;
        if form.field("_csrf").is_none_or(str::is_empty) {
            return Err(format!("the sign-in form has no CSRF token: {}", page.body));
        }
        let mut fields = form.hidden.clone();
        fields.push(("username".into(), user.into()));
        fields.push(("password".into(), password.into()));
        let action = resolve(&page_url, &form.action)?;
        let posted = self.send("POST", &action, Some(&fields)).await?;
        if posted.status != 302 {
            return Err(format!(
                "the sign-in form's answer: {} {}",
                posted.status, posted.body
            ));
        }
        let mut to = resolve(&action, location(&posted)?)?;
        if !to.starts_with(&format!("{redirect_uri}?")) {
            return Err(format!(
                "the sign-in redirected to {to}, not {redirect_uri}"
            ));
        }
        if let Some(forged) = state {
            let real = format!(
                "state={}",
                encode(&url_param(&to, "state").unwrap_or_default())
            );
            to = to.replace(&real, &format!("state={forged}"));
        }
        self.navigate(&to).await.map(|(_, answer)| answer)
    }
}

impl userpool::Browser for FormBrowser {
    fn open(&self, url: &str) -> Result<(), Error> {
        self.opened.lock().unwrap().push(url.to_owned());
        let plan = self.plan.lock().unwrap().take();
        let Some(plan) = plan else {
            // A test that did not plan this page: the sign-in times out, and says why.
            self.outcomes
                .lock()
                .unwrap()
                .push(Err(format!("nothing planned for {url}")));
            return Ok(());
        };
        let me = self.clone();
        let url = url.to_owned();
        tokio::spawn(async move {
            let outcome = me.work(url, plan).await;
            me.outcomes.lock().unwrap().push(outcome);
        });
        Ok(())
    }
}

pub fn location(answer: &Answer) -> Result<&str, String> {
    answer
        .header("location")
        .ok_or_else(|| format!("a {} without Location: {}", answer.status, answer.body))
}

/// `to` (absolute, or a path) as seen from the page at `from`.
pub fn resolve(from: &str, to: &str) -> Result<String, String> {
    if to.starts_with("http://") || to.starts_with("https://") {
        return Ok(to.to_owned());
    }
    if !to.starts_with('/') {
        return Err(format!(
            "a relative reference the test does not resolve: {to}"
        ));
    }
    let (addr, _) = split_url(from)?;
    Ok(format!("http://{addr}{to}"))
}

/// The first form of a page: where it posts and its hidden fields.
#[derive(Debug, Clone)]
pub struct Form {
    action: String,
    hidden: Vec<(String, String)>,
}

impl Form {
    fn of(html: &str) -> Result<Form, String> {
        let start = html.find("<form").ok_or("no form in the page")?;
        let form = &html[start..];
        let form = &form[..form.find("</form>").unwrap_or(form.len())];
        let open_tag = &form[..form.find('>').unwrap_or(form.len())];
        let action = attr(open_tag, "action").ok_or("a form without action")?;
        let mut hidden = Vec::new();
        let mut rest = form;
        while let Some(i) = rest.find("<input") {
            let end = rest[i..].find('>').map_or(rest.len(), |e| i + e);
            let tag = &rest[i..end];
            if attr(tag, "type").as_deref() == Some("hidden")
                && let Some(name) = attr(tag, "name")
            {
                hidden.push((name, attr(tag, "value").unwrap_or_default()));
            }
            rest = &rest[end..];
        }
        Ok(Form { action, hidden })
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.hidden
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A double-quoted attribute of a tag, its entities decoded.
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(
        tag[start..start + len]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}
