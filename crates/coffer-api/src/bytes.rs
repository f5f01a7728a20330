//! Binary values inside JSON: base64url without padding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes carried in JSON as base64url without padding (`"AQID"` for `[1, 2, 3]`).
/// Decoding also accepts padded input.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes(v.to_vec())
    }
}

/// Only the length: the content is key material or ciphertext.
impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} B)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('=').as_bytes())
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("expected base64url bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_as_unpadded_base64url() {
        let b = Bytes(vec![0xfb, 0xff, 0x00]);
        let s = serde_json::to_string(&b).unwrap();
        assert_eq!(s, "\"-_8A\"");
        assert_eq!(serde_json::from_str::<Bytes>(&s).unwrap(), b);
    }

    #[test]
    fn bytes_reject_non_base64() {
        assert!(serde_json::from_str::<Bytes>("\"not base64!\"").is_err());
    }
}
