//! The user's attributes: updates, deletion, verification.

use super::*;

impl Auth {
    /// Updates the signed-in user's attributes (`UpdateUserAttributes`). Amplify:
    /// `Auth.updateUserAttributes`.
    ///
    /// `sub`, `identities` and the `*_verified` flags are set by the pool only: they are dropped
    /// before sending (Cognito would refuse the whole update). If nothing is left, the
    /// answer is [`Error::InvalidInput`] and nothing is sent.
    ///
    /// The answer has one result per attribute sent: `is_updated: true`, or, for `email`
    /// and `phone_number` when the pool sent a verification code, `is_updated: false`
    /// with the code's delivery details (until verified, a pool that keeps the original
    /// value keeps it). Then the cached user is reloaded and the session refreshed.
    ///
    /// Events: `updateUserAttributes` with the same results, or
    /// `updateUserAttributes_failure`.
    pub async fn update_user_attributes(
        &self,
        attributes: Attributes,
    ) -> Result<AttributeUpdateResults, Error> {
        self.update_user_attributes_with(attributes, RequestOptions::default())
            .await
    }

    /// [`update_user_attributes`](Self::update_user_attributes) with trigger metadata.
    #[tracing::instrument(name = "userpool.update_user_attributes", skip_all, fields(attributes))]
    pub async fn update_user_attributes_with(
        &self,
        attributes: Attributes,
        options: RequestOptions,
    ) -> Result<AttributeUpdateResults, Error> {
        let result = self.inner.deadline("update_user_attributes", async {
            let attributes = writable(attributes);
            if attributes.is_empty() {
                return Err(Error::InvalidInput {
                    field: "attributes",
                    reason: "nothing to update: `sub`, `identities` and the `*_verified` flags are set by the pool and never sent".into(),
                });
            }
            let names: Vec<&str> = attributes.names().map(AttributeName::as_str).collect();
            tracing::Span::current().record("attributes", names.join(",").as_str());
            let session = self.current_session().await?;
            let token = session.access_token().raw().clone();
            let metadata = options.into_metadata();
            let deliveries = self.retrying(Replay::OnlyThrottled,
                "UpdateUserAttributes",
                || {
                    self.inner.transport.update_user_attributes(
                        token.clone(),
                        attributes.clone(),
                        metadata.clone(),
                    )
                },
            )
            .await?;
            let results: AttributeUpdateResults = attributes
                .names()
                .map(|name| {
                    let delivery = name
                        .needs_verification()
                        .then(|| {
                            deliveries
                                .iter()
                                .find(|d| d.attribute_name.as_deref() == Some(name.as_str()))
                        })
                        .flatten();
                    let result = match delivery {
                        Some(delivery) => {
                            AttributeUpdateResult::new(false).with_code_delivery(delivery.clone())
                        }
                        None => AttributeUpdateResult::new(true),
                    };
                    (name.clone(), result)
                })
                .collect();
            Ok(results)
        })
        .await;
        let results = self.emit_outcome(
            result,
            |results| {
                Some(AuthEvent::UpdateUserAttributes {
                    results: results.clone(),
                })
            },
            |error| AuthEvent::UpdateUserAttributesFailure { error },
        )?;
        self.inner.reload_user().await;
        Ok(results)
    }

    /// Deletes attributes of the signed-in user (`DeleteUserAttributes`), then reloads the
    /// cached user and refreshes the session. Amplify: `Auth.deleteUserAttributes`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for no names or an invalid name, [`Error::NotSignedIn`],
    /// [`Error::InvalidParameter`] (a required or unknown attribute), …
    #[tracing::instrument(name = "userpool.delete_user_attributes", skip_all)]
    pub async fn delete_user_attributes<I, S>(&self, names: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner
            .deadline("delete_user_attributes", async {
                let names = names
                    .into_iter()
                    .map(|n| AttributeName::new(n.as_ref()))
                    .collect::<Result<Vec<_>, _>>()?;
                if names.is_empty() {
                    return Err(Error::InvalidInput {
                        field: "attribute names",
                        reason: "no attribute to delete".into(),
                    });
                }
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                self.retrying(Replay::Safe, "DeleteUserAttributes", || {
                    self.inner
                        .transport
                        .delete_user_attributes(token.clone(), names.clone())
                })
                .await?;
                self.inner.reload_user().await;
                Ok(())
            })
            .await
    }

    /// Sends a code to verify an attribute of the signed-in user (`email`,
    /// `phone_number`) (`GetUserAttributeVerificationCode`) and says where it went (the
    /// reference drops these details). Amplify: `Auth.verifyCurrentUserAttribute`.
    pub async fn verify_current_user_attribute(
        &self,
        name: &str,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.verify_current_user_attribute_with(name, RequestOptions::default())
            .await
    }

    /// [`verify_current_user_attribute`](Self::verify_current_user_attribute) with
    /// trigger metadata.
    #[tracing::instrument(name = "userpool.verify_current_user_attribute", skip_all, fields(attribute = name))]
    pub async fn verify_current_user_attribute_with(
        &self,
        name: &str,
        options: RequestOptions,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.inner
            .deadline("verify_current_user_attribute", async {
                let name = AttributeName::new(name)?;
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                let metadata = options.into_metadata();
                self.retrying(
                    Replay::OnlyThrottled,
                    "GetUserAttributeVerificationCode",
                    || {
                        self.inner.transport.get_user_attribute_verification_code(
                            token.clone(),
                            name.clone(),
                            metadata.clone(),
                        )
                    },
                )
                .await
            })
            .await
    }

    /// Verifies an attribute with the code sent to it (`VerifyUserAttribute`). The cached
    /// user is dropped (its `*_verified` flag changed) and fetched again on next use.
    /// Amplify: `Auth.verifyCurrentUserAttributeSubmit`.
    ///
    /// # Errors
    ///
    /// [`Error::CodeMismatch`], [`Error::ExpiredCode`], [`Error::NotSignedIn`], …
    #[tracing::instrument(name = "userpool.verify_current_user_attribute_submit", skip_all, fields(attribute = name))]
    pub async fn verify_current_user_attribute_submit(
        &self,
        name: &str,
        code: impl Into<Code>,
    ) -> Result<(), Error> {
        self.inner
            .deadline("verify_current_user_attribute_submit", async {
                let name = AttributeName::new(name)?;
                let code = code.into();
                non_empty("code", code.as_secret())?;
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                self.retrying(Replay::OnlyThrottled, "VerifyUserAttribute", || {
                    self.inner.transport.verify_user_attribute(
                        token.clone(),
                        name.clone(),
                        code.clone(),
                    )
                })
                .await?;
                self.inner.invalidate_user().await;
                Ok(())
            })
            .await
    }
}
