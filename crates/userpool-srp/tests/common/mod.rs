//! Reading the known-answer vectors of the JavaScript reference client, shared by the
//! vector tests (`vectors.rs`, `device_vectors.rs`).

use serde_json::Value;

/// One vector: a JSON object of string fields.
pub struct Vector(Value);

impl Vector {
    /// The string field `key`; panics naming it when it is missing.
    pub fn s(&self, key: &str) -> &str {
        self.0[key]
            .as_str()
            .unwrap_or_else(|| panic!("vector field {key} missing"))
    }

    /// The whole vector, for fields that are not strings.
    pub fn json(&self) -> &Value {
        &self.0
    }
}

/// The vectors of a JSON-lines file, checking that it holds exactly `expected` of them.
pub fn vectors(text: &str, expected: usize) -> Vec<Vector> {
    let all: Vec<Vector> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Vector(serde_json::from_str(l).expect("a vector line is JSON")))
        .collect();
    assert_eq!(all.len(), expected, "the vector file is complete");
    all
}

/// Even-length hex to bytes (private keys and random bytes keep their leading zeros).
pub fn bytes(hex: &str) -> Vec<u8> {
    assert_eq!(hex.len() % 2, 0, "{hex}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
