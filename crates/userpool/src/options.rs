//! Options of the operations that take more than their required arguments.

use userpool_transport::ClientMetadata;
use userpool_types::{AuthFactor, AuthFlow, Error};

use userpool_types::Attributes;

/// Options of [`Auth::sign_up`](crate::Auth::sign_up): the user's attributes, validation
/// data for a pre-sign-up trigger, and metadata for the pool's triggers.
///
/// ```
/// use userpool::{Attributes, SignUpOptions};
/// let options = SignUpOptions::default()
///     .attribute("email", "ada@example.com")?
///     .attribute("custom:team", "engines")?
///     .validation_data(Attributes::try_from([("invitation", "x7")])?)
///     .client_metadata_entry("invited_by", "grace");
/// # let _ = options;
/// # Ok::<(), userpool::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignUpOptions {
    attributes: Attributes,
    validation_data: Attributes,
    client_metadata: ClientMetadata,
    auto_sign_in: bool,
}

impl SignUpOptions {
    /// Sets all attributes, standard and `custom:`.
    pub fn attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Adds one attribute, checking its name.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a malformed attribute name.
    pub fn attribute(mut self, name: &str, value: impl Into<String>) -> Result<Self, Error> {
        self.attributes = self.attributes.with(name, value)?;
        Ok(self)
    }

    /// Sets the validation data passed to a pre-sign-up trigger (not stored).
    pub fn validation_data(mut self, data: Attributes) -> Self {
        self.validation_data = data;
        self
    }

    /// Sets the metadata passed to the pool's triggers.
    pub fn client_metadata(mut self, metadata: ClientMetadata) -> Self {
        self.client_metadata = metadata;
        self
    }

    /// Adds one entry of trigger metadata.
    pub fn client_metadata_entry(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.client_metadata.insert(key.into(), value.into());
        self
    }

    /// Signs the user in right after [`Auth::confirm_sign_up`](crate::Auth::confirm_sign_up)
    /// (Amplify v6: `signUp`'s `options.autoSignIn`), with the session Cognito gives for
    /// that (`USER_AUTH`: the app client must allow it). Default false.
    ///
    /// The sign-up's session is kept in memory by this client (never stored, never
    /// logged) until the confirmation of this user, or another sign-up. What the
    /// confirmation answers says whether the user is signed in
    /// ([`ConfirmSignUpOutcome`](crate::ConfirmSignUpOutcome)).
    pub fn auto_sign_in(mut self, auto_sign_in: bool) -> Self {
        self.auto_sign_in = auto_sign_in;
        self
    }

    pub(crate) fn wants_auto_sign_in(&self) -> bool {
        self.auto_sign_in
    }

    pub(crate) fn into_parts(self) -> (Attributes, Attributes, ClientMetadata) {
        (self.attributes, self.validation_data, self.client_metadata)
    }
}

/// Options of [`Auth::confirm_sign_up_with`](crate::Auth::confirm_sign_up_with).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfirmSignUpOptions {
    force_alias_creation: bool,
    client_metadata: ClientMetadata,
}

impl ConfirmSignUpOptions {
    /// Moves the user's email or phone alias to this user when another user already has
    /// it (Cognito's `ForceAliasCreation`; default false, which fails with
    /// `AliasExists`).
    pub fn force_alias_creation(mut self, force: bool) -> Self {
        self.force_alias_creation = force;
        self
    }

    /// Sets the metadata passed to the pool's triggers.
    pub fn client_metadata(mut self, metadata: ClientMetadata) -> Self {
        self.client_metadata = metadata;
        self
    }

    pub(crate) fn into_parts(self) -> (bool, ClientMetadata) {
        (self.force_alias_creation, self.client_metadata)
    }
}

/// Options of [`Auth::sign_in_with`](crate::Auth::sign_in_with).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInOptions {
    auth_flow: Option<AuthFlow>,
    client_metadata: ClientMetadata,
    preferred_challenge: Option<AuthFactor>,
}

impl SignInOptions {
    /// Uses this flow for this sign-in instead of the client's
    /// ([`AuthBuilder::auth_flow`](crate::AuthBuilder::auth_flow)).
    pub fn auth_flow(mut self, flow: AuthFlow) -> Self {
        self.auth_flow = Some(flow);
        self
    }

    /// The first factor to try in a choice-based sign-in ([`AuthFlow::UserAuth`], which
    /// this sets too; Amplify v6: `options.preferredChallenge`). When the user cannot
    /// take it, the pool answers the selection of what they can
    /// ([`NextStep::SelectFirstFactor`](crate::NextStep::SelectFirstFactor)).
    ///
    /// [`AuthFactor::Password`] proves the password by SRP (`PASSWORD_SRP`), unless the
    /// client's flow ([`AuthBuilder::auth_flow`](crate::AuthBuilder::auth_flow)) is
    /// [`AuthFlow::UserPassword`]: then it is sent (`PASSWORD`).
    /// [`AuthFactor::WebAuthn`] is refused with [`Error::UnsupportedOperation`]:
    /// this client has no passkeys.
    pub fn preferred_challenge(mut self, factor: AuthFactor) -> Self {
        self.auth_flow = Some(AuthFlow::UserAuth);
        self.preferred_challenge = Some(factor);
        self
    }

    pub(crate) fn preferred(&self) -> Option<AuthFactor> {
        self.preferred_challenge
    }

    /// Sets the metadata passed to the pool's triggers.
    pub fn client_metadata(mut self, metadata: ClientMetadata) -> Self {
        self.client_metadata = metadata;
        self
    }

    pub(crate) fn into_parts(self) -> (Option<AuthFlow>, ClientMetadata) {
        (self.auth_flow, self.client_metadata)
    }
}

/// Options of the operations whose only option is metadata for the pool's triggers
/// (the `*_with` methods: resend a code, forgot password, answer a challenge, update or
/// verify attributes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOptions {
    client_metadata: ClientMetadata,
}

impl RequestOptions {
    /// Sets the metadata passed to the pool's triggers.
    pub fn client_metadata(mut self, metadata: ClientMetadata) -> Self {
        self.client_metadata = metadata;
        self
    }

    /// Adds one entry of trigger metadata.
    pub fn client_metadata_entry(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.client_metadata.insert(key.into(), value.into());
        self
    }

    pub(crate) fn into_metadata(self) -> ClientMetadata {
        self.client_metadata
    }
}

/// Options of [`Auth::confirm_sign_in_with`](crate::Auth::confirm_sign_in_with): trigger
/// metadata, and the name of the authenticator app being set up (Amplify v6:
/// `confirmSignIn`'s `options.friendlyDeviceName`).
///
/// A [`RequestOptions`] converts into one, so `confirm_sign_in_with(answer,
/// RequestOptions::default())` keeps working.
///
/// ```
/// use userpool::ConfirmSignInOptions;
/// let options = ConfirmSignInOptions::default()
///     .friendly_device_name("Ada's phone")
///     .client_metadata_entry("source", "cli");
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfirmSignInOptions {
    client_metadata: ClientMetadata,
    friendly_device_name: Option<String>,
}

impl ConfirmSignInOptions {
    /// Sets the metadata passed to the pool's triggers.
    pub fn client_metadata(mut self, metadata: ClientMetadata) -> Self {
        self.client_metadata = metadata;
        self
    }

    /// Adds one entry of trigger metadata.
    pub fn client_metadata_entry(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.client_metadata.insert(key.into(), value.into());
        self
    }

    /// Names the authenticator app when the answer completes a TOTP setup
    /// ([`NextStep::TotpSetup`](crate::NextStep::TotpSetup)); ignored by the other steps.
    pub fn friendly_device_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_device_name = Some(name.into());
        self
    }

    pub(crate) fn into_parts(self) -> (ClientMetadata, Option<String>) {
        (self.client_metadata, self.friendly_device_name)
    }
}

impl From<RequestOptions> for ConfirmSignInOptions {
    fn from(options: RequestOptions) -> Self {
        Self {
            client_metadata: options.into_metadata(),
            friendly_device_name: None,
        }
    }
}

/// Options of [`Auth::sign_out_with`](crate::Auth::sign_out_with).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignOutOptions {
    global: bool,
}

impl SignOutOptions {
    /// A global sign-out: every session of the user, on every device, ends
    /// (`GlobalSignOut`). The default signs out this client only.
    pub fn global(mut self, global: bool) -> Self {
        self.global = global;
        self
    }

    /// Whether the sign-out is global.
    pub fn is_global(&self) -> bool {
        self.global
    }
}

/// Options of
/// [`Auth::current_authenticated_user_with`](crate::Auth::current_authenticated_user_with).
///
/// ```
/// use userpool::CurrentUserOptions;
/// let fresh = CurrentUserOptions::default().bypass_cache();
/// assert!(fresh.bypasses_cache());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CurrentUserOptions {
    bypass_cache: bool,
}

impl CurrentUserOptions {
    /// Fetches the user with `GetUser` even when it is cached, and refreshes the session.
    pub fn bypass_cache(mut self) -> Self {
        self.bypass_cache = true;
        self
    }

    /// True when the cache is bypassed.
    pub fn bypasses_cache(&self) -> bool {
        self.bypass_cache
    }
}
