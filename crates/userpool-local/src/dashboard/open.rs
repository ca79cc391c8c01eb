//! Opening the dashboard in the developer's browser (`--open`): the platform's own opener
//! (`xdg-open`, macOS's `open`, Windows' `start`), or the command in `BROWSER` when set
//! (the convention `xdg-open` and Python's `webbrowser` follow), started and not waited
//! for. No crate for it: it is one process.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{Command, Stdio};

/// The dashboard's address for a server bound to `addr`. A server bound to every
/// interface (`0.0.0.0`, `[::]`) is opened on loopback of the same family: the dashboard
/// answers only a loopback `Host`, and `http://0.0.0.0:port/` would name no interface.
pub(crate) fn dashboard_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

/// The command that opens `url`: `$BROWSER url` when `browser` is given, the platform's
/// opener otherwise.
fn command(browser: Option<&str>, url: &str) -> Command {
    if let Some(program) = browser.map(str::trim).filter(|b| !b.is_empty()) {
        let mut c = Command::new(program);
        c.arg(url);
        return c;
    }
    if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("cmd");
        // `start`'s first quoted argument is the window title.
        c.args(["/C", "start", "\"\""]).arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    }
}

/// Starts the browser on `url` (the server's own, never from a request). Does not wait
/// for it: the process is reaped by a thread of its own, so the server is never held up.
/// `Err` says what could not be started.
pub(crate) fn open_browser(url: &str) -> std::io::Result<()> {
    let browser = std::env::var("BROWSER").ok();
    let mut child = command(browser.as_deref(), url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interface_opens_on_loopback() {
        let url = |a: &str| dashboard_url(a.parse().unwrap());
        assert_eq!(url("0.0.0.0:9229"), "http://127.0.0.1:9229/");
        assert_eq!(url("[::]:9229"), "http://[::1]:9229/");
        assert_eq!(url("127.0.0.1:80"), "http://127.0.0.1:80/");
        assert_eq!(url("[::1]:1"), "http://[::1]:1/");
        assert_eq!(url("192.168.1.4:9229"), "http://192.168.1.4:9229/");
    }

    #[test]
    fn browser_variable_wins() {
        let c = command(Some("/usr/bin/firefox"), "http://127.0.0.1:1/");
        assert_eq!(c.get_program(), "/usr/bin/firefox");
        assert_eq!(c.get_args().collect::<Vec<_>>(), ["http://127.0.0.1:1/"]);
        let c = command(Some("  "), "http://127.0.0.1:1/");
        assert_ne!(c.get_program(), "  ");
    }
}
