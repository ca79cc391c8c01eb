//! The JSON 1.1 wire protocol: typed access to request members (with Cognito's validation
//! errors) and the shapes shared by several operations.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The prefix of `X-Amz-Target`.
pub(crate) const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// The content type of requests and answers.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Read access to a JSON object of a request, member by member. `null` counts as absent;
/// a member of the wrong JSON type is a `SerializationException`, a missing required one an
/// `InvalidParameterException` in AWS's validation wording.
#[derive(Clone, Copy)]
pub(crate) struct Params<'a> {
    map: &'a Map<String, Value>,
}

fn wrong_type(name: &str, expected: &str) -> ApiError {
    ApiError::serialization(format!(
        "Unexpected value for member '{name}': expected {expected}"
    ))
}

impl<'a> Params<'a> {
    /// Wraps the top-level request value, which must be a JSON object.
    pub(crate) fn root(value: &'a Value) -> Result<Self, ApiError> {
        match value {
            Value::Object(map) => Ok(Self { map }),
            _ => Err(ApiError::serialization(
                "The request body must be a JSON object.",
            )),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// An optional string member.
    pub(crate) fn str(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// A required string member.
    pub(crate) fn req_str(&self, name: &str) -> Result<&'a str, ApiError> {
        self.str(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// An optional boolean member.
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// An optional integer member.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => Err(wrong_type(name, "an integer")),
            },
            Some(_) => Err(wrong_type(name, "an integer")),
        }
    }

    /// An optional non-negative integer member that fits u32.
    pub(crate) fn u32(&self, name: &str) -> Result<Option<u32>, ApiError> {
        match self.int(name)? {
            None => Ok(None),
            Some(i) => u32::try_from(i).map(Some).map_err(|_| {
                ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{i}' at '{name}' failed to satisfy constraint: Member must have value greater than or equal to 0"
                ))
            }),
        }
    }

    /// A member holding a number as a string (schema constraints such as `"MaxLength": "20"`).
    pub(crate) fn num_string(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid_parameter(format!("Invalid number for {name}: {s}"))
            }),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a number")),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// An optional list of strings.
    pub(crate) fn str_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(wrong_type(name, "a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list")),
        }
    }

    /// An optional map of string to string (`AuthParameters`, `ClientMetadata`, ...).
    pub(crate) fn str_map(&self, name: &str) -> Result<Option<Vec<(String, String)>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(wrong_type(name, "a map of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a map")),
        }
    }

    /// An optional nested object.
    pub(crate) fn obj(&self, name: &str) -> Result<Option<Params<'a>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Params { map })),
            Some(_) => Err(wrong_type(name, "a structure")),
        }
    }

    /// An optional list of objects.
    pub(crate) fn obj_list(&self, name: &str) -> Result<Option<Vec<Params<'a>>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::Object(map) => Ok(Params { map }),
                    _ => Err(wrong_type(name, "a list of structures")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list")),
        }
    }

    /// An optional list of `{"Name": ..., "Value": ...}` attribute entries.
    pub(crate) fn attributes(&self, name: &str) -> Result<Option<Vec<(String, String)>>, ApiError> {
        let Some(list) = self.obj_list(name)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            let n = item.req_str("Name")?;
            let v = item.str("Value")?.unwrap_or("");
            out.push((n.to_owned(), v.to_owned()));
        }
        Ok(Some(out))
    }
}

/// Looks a key up in a list of string pairs.
pub(crate) fn lookup<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Attribute list in the wire form `[{"Name": .., "Value": ..}]`.
pub(crate) fn attributes_json<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Array(
        attrs
            .into_iter()
            .map(|(n, v)| serde_json::json!({ "Name": n, "Value": v }))
            .collect(),
    )
}

/// A `CodeDeliveryDetails` structure.
pub(crate) fn delivery_json(d: &crate::outbox::Delivery) -> Value {
    serde_json::json!({
        "Destination": d.masked_destination(),
        "DeliveryMedium": d.medium.wire(),
        "AttributeName": d.attribute,
    })
}
