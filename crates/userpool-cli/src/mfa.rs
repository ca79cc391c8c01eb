//! `userpool mfa …`: the signed-in user's multi-factor authentication. `mfa setup` enrols
//! an authenticator app (TOTP), `mfa status` shows the methods, `mfa prefer`, `mfa
//! enable` and `mfa disable` change them.
//!
//! The display of a TOTP enrolment (the `otpauth://` URI, a QR code drawn with text, the
//! key to type) is shared with the TOTP setup step of `userpool sign-in`.

use clap::{Args, Subcommand, ValueEnum};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::json;
use userpool::{Error, MfaPreference, MfaPreferenceUpdate, MfaSettings, MfaType, TotpSetupDetails};

use crate::failure::Failure;
use crate::input::Input;
use crate::pool::PoolArgs;

/// How many codes a person may type for one step before the command gives up (Cognito
/// allows a few wrong codes per challenge session; a TOTP setup keeps its secret).
pub(crate) const CODE_TRIES: usize = 3;

/// An MFA method, as the commands spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Method {
    /// Codes sent by SMS (the user needs a verified phone_number).
    Sms,
    /// Codes from an authenticator app (set it up with `userpool mfa setup`).
    Totp,
    /// Codes sent by email (the user needs a verified email).
    Email,
}

impl Method {
    fn mfa_type(self) -> MfaType {
        match self {
            Method::Sms => MfaType::Sms,
            Method::Totp => MfaType::Totp,
            Method::Email => MfaType::Email,
        }
    }
}

/// How the QR code of a TOTP setup is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum QrStyle {
    /// For a terminal with a dark background (light text): the default.
    #[default]
    Dark,
    /// For a terminal with a light background (dark text).
    Light,
    /// No QR code: only the URI and the key.
    Off,
}

/// How a TOTP enrolment is shown and named, for `mfa setup` and `sign-in`.
#[derive(Debug, Args)]
pub(crate) struct AppSetupArgs {
    /// The issuer of the otpauth:// URI: the name the authenticator app shows above the
    /// codes.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "userpool",
        help_heading = "Authenticator app setup"
    )]
    issuer: String,
    /// The account name of the URI [default: the username].
    #[arg(long, value_name = "NAME", help_heading = "Authenticator app setup")]
    account_name: Option<String>,
    /// A name for the app, kept in the user's MFA settings (FriendlyDeviceName).
    #[arg(long, value_name = "NAME", help_heading = "Authenticator app setup")]
    device_name: Option<String>,
    /// How to draw the QR code.
    #[arg(
        long,
        value_enum,
        default_value_t = QrStyle::Dark,
        help_heading = "Authenticator app setup"
    )]
    qr: QrStyle,
}

impl AppSetupArgs {
    /// The app name for `VerifySoftwareToken`, if one was given.
    pub(crate) fn device_name(&self) -> Option<&str> {
        self.device_name.as_deref().filter(|n| !n.is_empty())
    }

    /// The lines that show `setup` to a person: what to do, the QR code, the URI and the
    /// key grouped by four. They hold the secret: they are printed because the person
    /// asked to set up an app, and never logged.
    pub(crate) fn lines(&self, setup: &TotpSetupDetails) -> Vec<String> {
        let account = self.account_name.as_deref().filter(|a| !a.is_empty());
        let uri = setup.setup_uri(&self.issuer, account);
        let mut lines = Vec::new();
        match qr_text(uri.expose(), self.qr) {
            Some(qr) => {
                lines.push("Scan this QR code with your authenticator app:".to_owned());
                lines.extend(qr.lines().map(str::to_owned));
                lines.push("or open this URI on the device that has the app:".to_owned());
            }
            None if self.qr == QrStyle::Off => {
                lines.push("Open this URI on the device that has your authenticator app:".into());
            }
            None => {
                lines.push("(the URI is too long for a QR code)".to_owned());
                lines.push("Open this URI on the device that has your authenticator app:".into());
            }
        }
        lines.push(format!("  {}", uri.expose()));
        lines.push(format!(
            "or type this key into it (time-based, 6 digits, 30 s): {}",
            grouped(setup.shared_secret().expose())
        ));
        lines
    }
}

/// `text` as a QR code drawn with half blocks (two rows of modules per line), with its
/// quiet zone; `None` when `style` is `Off` or the text does not fit in a QR code.
pub(crate) fn qr_text(text: &str, style: QrStyle) -> Option<String> {
    let (dark, light) = match style {
        QrStyle::Off => return None,
        // A block is drawn in the terminal's text colour: on a dark background, the
        // light modules must be the blocks for a phone to see dark modules on light.
        QrStyle::Dark => (Dense1x2::Light, Dense1x2::Dark),
        QrStyle::Light => (Dense1x2::Dark, Dense1x2::Light),
    };
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(dark)
            .light_color(light)
            .quiet_zone(true)
            .build(),
    )
}

/// `ABCD EFGH …`: a key grouped by four characters, easier to type.
fn grouped(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// True for the errors of a wrong code that can be retried with another one.
pub(crate) fn is_wrong_code(error: &Error) -> bool {
    matches!(
        error,
        Error::CodeMismatch { .. } | Error::EnableSoftwareTokenMfa { .. }
    )
}

/// `TOTP, EMAIL`.
pub(crate) fn names(methods: &[MfaType]) -> String {
    if methods.is_empty() {
        return "none".to_owned();
    }
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a method among `offered` (any method when the pool named none).
pub(crate) fn choose_method(input: &mut Input, offered: &[MfaType]) -> Result<MfaType, Failure> {
    let shown = if offered.is_empty() {
        names(MfaType::ALL)
    } else {
        names(offered)
    };
    let answer = input.answer(&format!("MFA method ({shown}): "))?;
    MfaType::parse(&answer)
        .filter(|m| offered.is_empty() || offered.contains(m))
        .ok_or_else(|| Failure::usage(format!("choose one of {shown}")))
}

// ---------------------------------------------------------------- the commands

/// `userpool mfa …`.
#[derive(Debug, Subcommand)]
pub(crate) enum MfaCommand {
    /// Set up an authenticator app: shows the otpauth:// URI and a QR code, asks for a first
    /// code, then makes the app the preferred method (AssociateSoftwareToken,
    /// VerifySoftwareToken, SetUserMFAPreference).
    Setup(MfaSetupArgs),
    /// Show the enabled MFA methods and the preferred one (GetUser).
    Status(MfaStatusArgs),
    /// Make a method the preferred one (it is enabled too).
    Prefer(MfaMethodArgs),
    /// Enable a method, leaving the preferred one as it is.
    Enable(MfaMethodArgs),
    /// Disable a method.
    Disable(MfaMethodArgs),
}

/// Arguments of `userpool mfa setup`.
#[derive(Debug, Args)]
pub(crate) struct MfaSetupArgs {
    /// Enable the app but leave the preferred method as it is.
    #[arg(long)]
    no_prefer: bool,
    #[command(flatten)]
    app: AppSetupArgs,
    #[command(flatten)]
    pool: PoolArgs,
}

/// Arguments of `userpool mfa status`.
#[derive(Debug, Args)]
pub(crate) struct MfaStatusArgs {
    /// Print JSON (`{"enabled": ["TOTP"], "preferred": "TOTP"}`).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// Arguments of `userpool mfa prefer|enable|disable`.
#[derive(Debug, Args)]
pub(crate) struct MfaMethodArgs {
    /// The method.
    #[arg(value_enum)]
    method: Method,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool mfa …`.
pub(crate) async fn mfa_command(command: MfaCommand) -> Result<(), Failure> {
    match command {
        MfaCommand::Setup(args) => setup(args).await,
        MfaCommand::Status(args) => status(args).await,
        MfaCommand::Prefer(args) => change(args, "mfa prefer", MfaPreference::Preferred).await,
        MfaCommand::Enable(args) => change(args, "mfa enable", MfaPreference::Enabled).await,
        MfaCommand::Disable(args) => change(args, "mfa disable", MfaPreference::Disabled).await,
    }
}

/// `userpool mfa setup`.
async fn setup(args: MfaSetupArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let fail = |e: Error| Failure::auth(&e, "mfa setup", &client.target);
    let setup = client.auth.set_up_totp().await.map_err(fail)?;
    for line in args.app.lines(&setup) {
        println!("{line}");
    }
    let mut input = Input::new(false);
    let mut tries = 0;
    loop {
        let code = input.code("Code from the app: ")?;
        tries += 1;
        match client
            .auth
            .verify_totp_setup(code, args.app.device_name())
            .await
        {
            Ok(()) => break,
            // The secret stays the same after a wrong code: a person at a terminal can
            // wait for the app's next code and type it.
            Err(e) if is_wrong_code(&e) && input.is_interactive() && tries < CODE_TRIES => {
                eprintln!("that code was refused ({e}); type the app's next one");
            }
            Err(e) => return Err(fail(e)),
        }
    }
    println!("the authenticator app is set up");
    if !args.no_prefer {
        client
            .auth
            .update_mfa_preference(MfaPreferenceUpdate::new().totp(MfaPreference::Preferred))
            .await
            .map_err(fail)?;
        println!("TOTP is the preferred MFA method: sign-ins ask for a code from the app");
    }
    let settings = client.auth.fetch_mfa_preference().await.map_err(fail)?;
    print_status(&settings);
    Ok(())
}

/// `userpool mfa status`.
async fn status(args: MfaStatusArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let settings = client
        .auth
        .fetch_mfa_preference()
        .await
        .map_err(|e| Failure::auth(&e, "mfa status", &client.target))?;
    if args.json {
        let enabled: Vec<&str> = settings.enabled.iter().map(|m| m.as_str()).collect();
        let doc = json!({
            "enabled": enabled,
            "preferred": settings.preferred.map(MfaType::as_str),
        });
        println!("{doc:#}");
    } else {
        print_status(&settings);
    }
    Ok(())
}

/// `userpool mfa prefer|enable|disable METHOD`.
async fn change(
    args: MfaMethodArgs,
    command: &'static str,
    preference: MfaPreference,
) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let fail = |e: Error| Failure::auth(&e, command, &client.target);
    let update = match args.method {
        Method::Sms => MfaPreferenceUpdate::new().sms(preference),
        Method::Totp => MfaPreferenceUpdate::new().totp(preference),
        Method::Email => MfaPreferenceUpdate::new().email(preference),
    };
    client
        .auth
        .update_mfa_preference(update)
        .await
        .map_err(fail)?;
    let settings = client.auth.fetch_mfa_preference().await.map_err(fail)?;
    print_status(&settings);
    let method = args.method.mfa_type();
    // What the pool shows afterwards is the truth; say so when it differs from the ask.
    let enabled = settings.enabled.contains(&method);
    if preference.enabled() != enabled {
        eprintln!(
            "note: the pool reports {method} as {}",
            if enabled { "enabled" } else { "disabled" }
        );
    }
    Ok(())
}

fn print_status(settings: &MfaSettings) {
    println!("enabled:   {}", names(&settings.enabled));
    println!(
        "preferred: {}",
        settings.preferred.map_or("none", MfaType::as_str)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use userpool::{SecretString, Username};

    fn details() -> TotpSetupDetails {
        TotpSetupDetails::new(
            SecretString::from("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            Username::new("ada").unwrap(),
        )
    }

    fn app(qr: QrStyle) -> AppSetupArgs {
        AppSetupArgs {
            issuer: "My App".to_owned(),
            account_name: None,
            device_name: None,
            qr,
        }
    }

    #[test]
    fn a_qr_code_is_drawn_with_half_blocks_and_a_quiet_zone() {
        let uri = "otpauth://totp/userpool:ada?secret=JBSWY3DPEHPK3PXP&issuer=userpool";
        let dark = qr_text(uri, QrStyle::Dark).unwrap();
        let light = qr_text(uri, QrStyle::Light).unwrap();
        let rows: Vec<&str> = dark.lines().collect();
        let width = rows[0].chars().count();
        // A square of modules: every line as wide, two module rows per line.
        assert!(rows.iter().all(|r| r.chars().count() == width), "{dark}");
        assert_eq!(rows.len(), width.div_ceil(2), "{dark}");
        // The quiet zone is light: blocks on a dark terminal, blank on a light one.
        assert!(rows[0].chars().all(|c| c == '█'), "{dark}");
        assert!(light.lines().next().unwrap().chars().all(|c| c == ' '));
        // Both styles draw the same modules, swapped.
        assert_ne!(dark, light);
        assert_eq!(qr_text(uri, QrStyle::Off), None);
        // Past a QR code's capacity: no code, no panic.
        assert_eq!(qr_text(&"x".repeat(4000), QrStyle::Dark), None);
    }

    #[test]
    fn the_setup_shows_the_uri_the_key_and_the_qr_code() {
        let lines = app(QrStyle::Dark).lines(&details());
        let text = lines.join("\n");
        assert!(
            text.contains(
                "  otpauth://totp/My%20App:ada?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=My%20App"
            ),
            "{text}"
        );
        assert!(
            text.contains("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"),
            "{text}"
        );
        assert!(text.contains('▀') || text.contains('▄'), "{text}");
        let plain = app(QrStyle::Off).lines(&details()).join("\n");
        assert!(!plain.contains('█'), "{plain}");
        assert!(plain.contains("otpauth://"), "{plain}");
        let mut named = app(QrStyle::Off);
        named.account_name = Some("ada@example.com".to_owned());
        assert!(
            named
                .lines(&details())
                .join("\n")
                .contains("My%20App:ada%40example.com?")
        );
    }

    #[test]
    fn keys_are_grouped_by_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(grouped(""), "");
    }

    #[test]
    fn method_names() {
        assert_eq!(names(&[]), "none");
        assert_eq!(names(&[MfaType::Totp, MfaType::Email]), "TOTP, EMAIL");
        assert_eq!(Method::Totp.mfa_type(), MfaType::Totp);
        assert!(is_wrong_code(&Error::from_service(
            "EnableSoftwareTokenMFAException",
            "Code mismatch"
        )));
        assert!(is_wrong_code(&Error::from_service(
            "CodeMismatchException",
            "Invalid code"
        )));
        assert!(!is_wrong_code(&Error::NotSignedIn));
    }
}
