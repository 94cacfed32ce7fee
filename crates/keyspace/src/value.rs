//! The value stored under a key, whatever its type.
//!
//! Owns the type-level view (`TYPE`, `OBJECT ENCODING`, size estimates). Must
//! stay at most 24 bytes: every key pays for it inline in its table entry, so
//! new types join as boxed variants.

use crate::string_value::StringValue;

/// A value stored under a key. Only strings exist today; lists, hashes, sets
/// and sorted sets join as further variants (boxed, so `Value` stays small).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (Redis encodings int, embstr, raw).
    String(StringValue),
}

impl Value {
    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
        }
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::String(string) => string.encoding_name(),
        }
    }

    /// Bytes the value owns on the heap beyond its inline 24 bytes.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::String(string) => string.heap_bytes(),
        }
    }

    /// The string, when this is a string value.
    pub fn as_string(&self) -> Option<&StringValue> {
        match self {
            Value::String(string) => Some(string),
        }
    }

    /// The string, mutably, when this is a string value.
    pub fn as_string_mut(&mut self) -> Option<&mut StringValue> {
        match self {
            Value::String(string) => Some(string),
        }
    }
}

impl From<StringValue> for Value {
    fn from(string: StringValue) -> Self {
        Value::String(string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_24_bytes() {
        assert!(
            std::mem::size_of::<Value>() <= 24,
            "{}",
            std::mem::size_of::<Value>()
        );
    }

    #[test]
    fn names() {
        let value = Value::from(StringValue::from_bytes(b"10"));
        assert_eq!(value.type_name(), "string");
        assert_eq!(value.encoding_name(), "int");
        assert_eq!(value.as_string().map(StringValue::len), Some(2));
        let mut value = value;
        if let Some(string) = value.as_string_mut() {
            string.make_raw().push(b'0');
        }
        assert_eq!(value.encoding_name(), "raw");
        // A raw string owns its growable buffer: header plus at least 3 bytes.
        assert!(value.heap_bytes() >= 24 + 3);
    }
}
