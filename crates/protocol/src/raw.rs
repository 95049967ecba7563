//! JSON carried through without being parsed into a tree or encoded again.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// JSON text kept as it was received: checked to be JSON, never re-encoded. Used for the
/// kind-specific `details` of a registration and for payloads in transit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// `text` if it is JSON.
    pub fn from_string(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }

    /// The encoding of `value`.
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Self {
        Self(serde_json::value::to_raw_value(value).expect("plain data always encodes"))
    }

    /// An empty object, the `details` of a record that has none.
    pub fn empty_object() -> Self {
        Self::from_string("{}".into()).expect("{} is JSON")
    }

    /// Decode into `T`.
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl Default for RawJson {
    fn default() -> Self {
        Self::empty_object()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// A field that distinguishes "absent" (`None`) from "set to null" (`Some(None)`): with
/// `#[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
