//! The attribute schema: Cognito's standard attributes, a pool's custom (`custom:`)
//! attributes, mutability, app client read/write permissions and value checks.

use serde_json::{Value, json};

use crate::config::{AttributeType, ClientConfig, PoolConfig};
use crate::error::ApiError;
use userpool_types::{StandardAttributeType, parse_boolean};

/// True for a standard attribute name (the table in `userpool-types`, which the client
/// shares).
pub(crate) fn is_standard(name: &str) -> bool {
    userpool_types::standard_attribute(name).is_some()
}

/// True for the standard attributes only the pool sets (`sub`, `identities`): nobody
/// writes them through the API.
pub(crate) fn is_pool_managed(name: &str) -> bool {
    userpool_types::standard_attribute(name).is_some_and(|a| a.pool_managed)
}

/// One attribute of a pool's schema.
#[derive(Debug, Clone)]
pub(crate) struct AttrDef {
    pub name: String,
    pub data_type: AttributeType,
    pub mutable: bool,
    pub required: bool,
    pub developer_only: bool,
    pub min_len: u32,
    pub max_len: u32,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
}

/// The full schema of a pool: standard attributes then `custom:` ones.
pub(crate) fn schema(config: &PoolConfig) -> Vec<AttrDef> {
    let standard = userpool_types::STANDARD_ATTRIBUTE_TABLE;
    let mut out = Vec::with_capacity(standard.len() + config.custom_attributes.len());
    for attr in standard {
        let name = attr.name;
        let data_type = match attr.data_type {
            StandardAttributeType::Boolean => AttributeType::Boolean,
            StandardAttributeType::Number => AttributeType::Number,
            StandardAttributeType::String => AttributeType::String,
        };
        out.push(AttrDef {
            name: name.to_owned(),
            data_type,
            mutable: !attr.pool_managed && !config.immutable_attributes.iter().any(|a| a == name),
            required: name == "sub" || config.required_attributes.iter().any(|a| a == name),
            developer_only: false,
            min_len: if name == "sub" { 1 } else { 0 },
            max_len: 2048,
            min_value: if name == "updated_at" { Some(0) } else { None },
            max_value: None,
        });
    }
    for c in &config.custom_attributes {
        out.push(AttrDef {
            name: format!("custom:{}", c.name),
            data_type: c.data_type,
            mutable: c.mutable,
            required: false,
            developer_only: c.developer_only,
            min_len: c.min_length.unwrap_or(0),
            max_len: c.max_length.unwrap_or(2048),
            min_value: c.min_value,
            max_value: c.max_value,
        });
    }
    out
}

/// The `SchemaAttributes` list of DescribeUserPool.
pub(crate) fn schema_json(schema: &[AttrDef]) -> Value {
    Value::Array(
        schema
            .iter()
            .map(|d| {
                let mut v = json!({
                    "Name": d.name,
                    "AttributeDataType": d.data_type.wire(),
                    "DeveloperOnlyAttribute": d.developer_only,
                    "Mutable": d.mutable,
                    "Required": d.required,
                });
                match d.data_type {
                    AttributeType::String => {
                        v["StringAttributeConstraints"] = json!({
                            "MinLength": d.min_len.to_string(),
                            "MaxLength": d.max_len.to_string(),
                        });
                    }
                    AttributeType::Number => {
                        let mut c = json!({});
                        if let Some(m) = d.min_value {
                            c["MinValue"] = json!(m.to_string());
                        }
                        if let Some(m) = d.max_value {
                            c["MaxValue"] = json!(m.to_string());
                        }
                        v["NumberAttributeConstraints"] = c;
                    }
                    _ => {}
                }
                v
            })
            .collect(),
    )
}

/// What kind of call writes the attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// A user creating themselves (SignUp).
    SignUp,
    /// An admin creating a user (AdminCreateUser).
    AdminCreate,
    /// A user changing their attributes (UpdateUserAttributes, NEW_PASSWORD_REQUIRED).
    UserUpdate,
    /// An admin changing a user's attributes.
    AdminUpdate,
    /// A user deleting attributes.
    UserDelete,
}

fn schema_error(name: &str, what: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "Attributes did not conform to the schema: {name}: {what}\n"
    ))
}

fn unauthorized_write() -> ApiError {
    ApiError::not_authorized("A client attempted to write unauthorized attribute")
}

/// May this client (user-side) write the attribute?
fn client_may_write(client: Option<&ClientConfig>, def: &AttrDef) -> bool {
    if def.developer_only || is_pool_managed(&def.name) {
        return false;
    }
    match client.and_then(|c| c.write_attributes.as_ref()) {
        Some(list) => list.iter().any(|a| a == &def.name),
        None => !def.name.ends_with("_verified"),
    }
}

/// May this client read the attribute?
pub(crate) fn client_may_read(client: Option<&ClientConfig>, name: &str) -> bool {
    if name == "sub" {
        return true;
    }
    match client.and_then(|c| c.read_attributes.as_ref()) {
        Some(list) => list.iter().any(|a| a == name),
        None => true,
    }
}

/// Checks names, permissions, mutability and values of attributes a call wants to write.
pub(crate) fn check_write(
    schema: &[AttrDef],
    attrs: &[(String, String)],
    kind: WriteKind,
    client: Option<&ClientConfig>,
) -> Result<(), ApiError> {
    for (name, value) in attrs {
        let Some(def) = schema.iter().find(|d| &d.name == name) else {
            return Err(schema_error(
                name,
                "Attribute does not exist in the schema.",
            ));
        };
        if is_pool_managed(&def.name) {
            return Err(ApiError::invalid_parameter(format!(
                "Cannot modify the non-mutable attribute {name}"
            )));
        }
        let user_side = matches!(
            kind,
            WriteKind::SignUp | WriteKind::UserUpdate | WriteKind::UserDelete
        );
        if user_side && !client_may_write(client, def) {
            return Err(unauthorized_write());
        }
        let updating = matches!(
            kind,
            WriteKind::UserUpdate | WriteKind::AdminUpdate | WriteKind::UserDelete
        );
        if updating && !def.mutable {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid user attributes: {name}: Attribute cannot be updated. (changing an immutable attribute)"
            )));
        }
        if kind == WriteKind::UserDelete {
            if def.required {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid user attributes: {name}: The attribute is required"
                )));
            }
            continue;
        }
        check_value(def, value)?;
    }
    Ok(())
}

/// Checks attributes a call wants to write, like [`check_write`], and puts their values in
/// the form they are stored in: Boolean values (`email_verified`, `phone_number_verified`,
/// Boolean custom attributes) are read as Cognito reads them, `true` or `false` in any
/// case, and kept in lower case, which is what every reader (`AdminGetUser`, the id
/// token, alias and verification rules) then sees.
pub(crate) fn accept_write(
    schema: &[AttrDef],
    attrs: &mut [(String, String)],
    kind: WriteKind,
    client: Option<&ClientConfig>,
) -> Result<(), ApiError> {
    check_write(schema, attrs, kind, client)?;
    for (name, value) in attrs.iter_mut() {
        let is_boolean = schema
            .iter()
            .any(|d| &d.name == name && d.data_type == AttributeType::Boolean);
        if is_boolean && let Some(b) = parse_boolean(value) {
            *value = b.to_string();
        }
    }
    Ok(())
}

/// Required attributes missing from a new user.
pub(crate) fn check_required(
    schema: &[AttrDef],
    attrs: &[(String, String)],
) -> Result<(), ApiError> {
    for def in schema.iter().filter(|d| d.required && d.name != "sub") {
        if !attrs.iter().any(|(n, v)| n == &def.name && !v.is_empty()) {
            return Err(schema_error(&def.name, "The attribute is required"));
        }
    }
    Ok(())
}

fn check_value(def: &AttrDef, value: &str) -> Result<(), ApiError> {
    let len = u32::try_from(value.chars().count()).unwrap_or(u32::MAX);
    match def.data_type {
        AttributeType::String | AttributeType::DateTime => {
            if len < def.min_len || len > def.max_len {
                return Err(schema_error(
                    &def.name,
                    &format!(
                        "String must be between {} and {} characters long.",
                        def.min_len, def.max_len
                    ),
                ));
            }
        }
        AttributeType::Number => {
            let n: i64 = value
                .parse()
                .map_err(|_| schema_error(&def.name, "Number must be an integer."))?;
            if def.min_value.is_some_and(|m| n < m) || def.max_value.is_some_and(|m| n > m) {
                return Err(schema_error(&def.name, "Number is out of range."));
            }
        }
        AttributeType::Boolean => {
            if parse_boolean(value).is_none() {
                return Err(schema_error(&def.name, "Boolean must be true or false."));
            }
        }
    }
    match def.name.as_str() {
        "email" if !is_email(value) => {
            Err(ApiError::invalid_parameter("Invalid email address format."))
        }
        "phone_number" if !is_phone(value) => {
            Err(ApiError::invalid_parameter("Invalid phone number format."))
        }
        _ => Ok(()),
    }
}

/// A plausible email address: one `@`, something on both sides, a dot in the domain.
pub(crate) fn is_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !v.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// E.164: `+` then 2 to 15 digits.
pub(crate) fn is_phone(v: &str) -> bool {
    let Some(digits) = v.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The value of an attribute in an id token: `*_verified` become booleans, `updated_at` a
/// number, `address` an object with `formatted`.
pub(crate) fn claim_value(name: &str, value: &str) -> Value {
    match name {
        "email_verified" | "phone_number_verified" => Value::Bool(value == "true"),
        "updated_at" => value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(value.to_owned())),
        "address" => json!({ "formatted": value }),
        _ => Value::String(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CustomAttribute;

    fn pool() -> Vec<AttrDef> {
        let mut c = PoolConfig::new("p");
        c.custom_attributes.push(CustomAttribute::string("team"));
        c.custom_attributes
            .push(CustomAttribute::number("level").immutable());
        c.required_attributes.push("email".into());
        schema(&c)
    }

    #[test]
    fn unknown_attribute_is_rejected() {
        let e = check_write(
            &pool(),
            &[("custom:nope".into(), "x".into())],
            WriteKind::SignUp,
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind(), "InvalidParameterException");
        assert!(
            e.message()
                .contains("Attribute does not exist in the schema")
        );
    }

    #[test]
    fn immutable_custom_attribute_cannot_change() {
        let s = pool();
        let a = [("custom:level".to_owned(), "3".to_owned())];
        assert!(check_write(&s, &a, WriteKind::SignUp, None).is_ok());
        assert!(check_write(&s, &a, WriteKind::UserUpdate, None).is_err());
    }

    #[test]
    fn required_and_values() {
        let s = pool();
        assert!(check_required(&s, &[]).is_err());
        assert!(check_required(&s, &[("email".into(), "a@b.c".into())]).is_ok());
        let bad = [("custom:level".to_owned(), "x".to_owned())];
        assert!(check_write(&s, &bad, WriteKind::SignUp, None).is_err());
        let verified = [("email_verified".to_owned(), "true".to_owned())];
        assert_eq!(
            check_write(&s, &verified, WriteKind::UserUpdate, None)
                .unwrap_err()
                .kind(),
            "NotAuthorizedException"
        );
        assert!(check_write(&s, &verified, WriteKind::AdminUpdate, None).is_ok());
    }

    #[test]
    fn identities_is_in_the_schema_and_set_by_the_pool_only() {
        // The standard list is the client's: `identities` is there, read-only.
        let s = pool();
        let identities = s.iter().find(|d| d.name == "identities").unwrap();
        assert!(!identities.mutable && !identities.required);
        let attrs = [("identities".to_owned(), "[]".to_owned())];
        for kind in [
            WriteKind::SignUp,
            WriteKind::AdminCreate,
            WriteKind::UserUpdate,
            WriteKind::AdminUpdate,
        ] {
            let e = check_write(&s, &attrs, kind, None).unwrap_err();
            assert_eq!(
                (e.kind(), e.message()),
                (
                    "InvalidParameterException",
                    "Cannot modify the non-mutable attribute identities"
                ),
                "{kind:?}"
            );
        }
        assert!(client_may_read(None, "identities"));
        // A pool cannot require what no sign-up can give.
        let mut c = PoolConfig::new("p");
        c.required_attributes.push("identities".into());
        let e = c.validate().unwrap_err();
        assert_eq!(e.kind(), "InvalidParameterException");
        c.required_attributes = vec!["sub".into(), "email".into()];
        assert!(c.validate().is_ok());
    }

    #[test]
    fn booleans_are_read_in_any_case_and_kept_in_lower_case() {
        let mut c = PoolConfig::new("p");
        c.custom_attributes.push(CustomAttribute {
            name: "beta".into(),
            data_type: AttributeType::Boolean,
            ..CustomAttribute::default()
        });
        let s = schema(&c);
        let mut attrs = vec![
            ("email_verified".to_owned(), "True".to_owned()),
            ("phone_number_verified".to_owned(), "FALSE".to_owned()),
            ("custom:beta".to_owned(), "tRUE".to_owned()),
            ("name".to_owned(), "True".to_owned()),
        ];
        accept_write(&s, &mut attrs, WriteKind::AdminCreate, None).unwrap();
        let values: Vec<&str> = attrs.iter().map(|(_, v)| v.as_str()).collect();
        // Strings keep their case.
        assert_eq!(values, ["true", "false", "true", "True"]);
        for bad in ["yes", "1", "t", "true ", ""] {
            let mut attrs = vec![("custom:beta".to_owned(), bad.to_owned())];
            let e = accept_write(&s, &mut attrs, WriteKind::AdminUpdate, None).unwrap_err();
            assert_eq!(e.kind(), "InvalidParameterException", "{bad:?}");
        }
    }
}
