//! `userpool demo` as a person runs it: the binary, end to end, on a machine with no AWS
//! account (it starts its own local pool on loopback).
//!
//! The in-process test of the demo (`demo::tests` in the library) also checks that none
//! of the codes, tokens and secrets it handled is printed; this one checks the binary's
//! exit code and output.

use std::process::Command;

#[test]
fn the_demo_runs_end_to_end_and_narrates_every_step() {
    let output = Command::new(env!("CARGO_BIN_EXE_userpool"))
        .arg("demo")
        .env_remove("RUST_LOG")
        .output()
        .expect("the userpool binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the demo failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );

    let steps = [
        "Configure the client",
        "Sign up alice, with standard and custom attributes",
        "Confirm the sign-up with the code from the outbox",
        "A wrong password is refused",
        "Sign in with SRP",
        "The current user",
        "The current session",
        "Update the email",
        "Verify the new email",
        "Change the password",
        "Sign out",
        "Forgot password",
        "Set up an authenticator app (TOTP)",
        "enabled: [TOTP], preferred: TOTP",
        "the pool asks for the app's TOTP code",
        "NextStep(TotpCode)",
        "signed in with the password and the authenticator app",
        "An administrator creates grace",
        "NEW_PASSWORD_REQUIRED",
        "delete an attribute",
        "Delete the user",
        "every step worked",
    ];
    let mut rest: &str = &stdout;
    for step in steps {
        let at = rest
            .find(step)
            .unwrap_or_else(|| panic!("step {step:?} missing or out of order:\n{stdout}"));
        rest = &rest[at..];
    }

    let events: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("  event: "))
        .map(|rest| rest.split(' ').next().unwrap_or(rest))
        .collect();
    let expected = [
        "configured",
        "signUp",
        "confirmSignUp",
        "signIn_failure",
        "signIn",
        "updateUserAttributes",
        "signOut",
        "forgotPassword",
        "forgotPasswordSubmit",
        "signIn",
        "signOut",
        "signIn",
        "configured",
        "signIn",
        "signOut",
        "userDeleted",
        "signOut",
        "signIn_failure",
    ];
    let mut seen = events.iter();
    for name in expected {
        assert!(
            seen.any(|e| *e == name),
            "event {name:?} missing or out of order in {events:?}:\n{stdout}"
        );
    }

    // Codes masked, and no token or password.
    assert!(stdout.contains("code from the outbox"), "{stdout}");
    assert!(stdout.contains("****"), "{stdout}");
    assert!(!stdout.contains("eyJ"), "a JWT was printed:\n{stdout}");
    assert!(
        !stdout.contains("Passw0rd"),
        "a password was printed:\n{stdout}"
    );
    // The TOTP secret is shown masked, and its URI (which holds it) not at all.
    assert!(stdout.contains("shared secret: "), "{stdout}");
    assert!(
        !stdout.contains("otpauth://"),
        "the setup URI was printed:\n{stdout}"
    );
}
