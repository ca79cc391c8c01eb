//! `application/x-www-form-urlencoded`: the dashboard's form bodies and its query string
//! (a few lines instead of a dependency). Stricter than the hosted pages' lenient
//! `hosted::authorize::parse_pairs`: a broken escape or too many fields refuse the action
//! rather than run it with a value the form did not send. Encoding is
//! `hosted::authorize::encode`.

use crate::error::ApiError;

/// Most fields a form may have (the dashboard's have four).
const MAX_FIELDS: usize = 16;

/// The fields of a form, in order. A name given twice keeps its first value.
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The value of a field.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn bad_form() -> ApiError {
    ApiError::invalid_parameter("The form could not be read.")
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// One name or value: `+` is a space, `%XX` a byte, the result UTF-8.
fn decode(part: &[u8]) -> Result<String, ApiError> {
    let mut out = Vec::with_capacity(part.len());
    let mut i = 0;
    while let Some(&b) = part.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = part.get(i + 1).copied().and_then(hex_value);
                let lo = part.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(bad_form());
                };
                out.push(hi << 4 | lo);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad_form())
}

/// Parses a form body or a query string.
pub(crate) fn parse(body: &[u8]) -> Result<Fields, ApiError> {
    let mut fields = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        if fields.len() == MAX_FIELDS {
            return Err(bad_form());
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        fields.push((decode(name)?, decode(value)?));
    }
    Ok(Fields(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_decoded() {
        let f = parse(b"pool=us-east-1_a&username=ada+l%C3%B6v%2Bx&csrf=&flag&pool=other").unwrap();
        assert_eq!(f.get("pool"), Some("us-east-1_a"));
        assert_eq!(f.get("username"), Some("ada l\u{f6}v+x"));
        assert_eq!(f.get("csrf"), Some(""));
        assert_eq!(f.get("flag"), Some(""));
        assert_eq!(f.get("missing"), None);
        assert!(parse(b"a=%zz").is_err());
        assert!(parse(b"a=%4").is_err());
        assert!(parse(b"a=%FF").is_err());
        assert!(parse(&b"a=1&".repeat(MAX_FIELDS + 1)).is_err());
        assert!(parse(b"").unwrap().get("a").is_none());
    }

    #[test]
    fn values_round_trip() {
        let v = "ada <l\u{f6}ve>&x=1 +";
        assert_eq!(
            parse(format!("u={}", crate::hosted::authorize::encode(v)).as_bytes())
                .unwrap()
                .get("u"),
            Some(v)
        );
    }
}
