//! Password key derivation: a versioned, self-describing KDF record and its safety floors.
//!
//! The record travels in the clear beside the wrapped vault key, so it is validated on every
//! read: parameters below the floor are refused whoever wrote them (a downgraded header is an
//! attack, not a preference), and absurdly high ones are refused too (they would hang the app).

use argon2::{Algorithm, Argon2, Params, Version};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Current version of the KDF record layout.
pub const KDF_RECORD_VERSION: u32 = 1;

/// RFC 9106's second recommended option is the floor: 64 MiB, three passes.
pub const ARGON2_MIN_MEMORY_KIB: u32 = 64 * 1024;
pub const ARGON2_MIN_PASSES: u32 = 3;
/// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
pub const PBKDF2_MIN_ITERATIONS: u32 = 600_000;

const ARGON2_DEFAULT_MEMORY_KIB: u32 = 128 * 1024;
const ARGON2_DEFAULT_PASSES: u32 = 3;
const ARGON2_DEFAULT_LANES: u32 = 4;

/// Ceilings that stop a hostile header from pinning the CPU or memory for hours.
const ARGON2_MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
const ARGON2_MAX_PASSES: u32 = 64;
const ARGON2_MAX_LANES: u32 = 64;
const PBKDF2_MAX_ITERATIONS: u32 = 100_000_000;

const SALT_LEN: usize = 16;

/// The algorithm and its cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "alg", rename_all = "lowercase")]
pub enum KdfParams {
    Argon2id {
        memory_kib: u32,
        passes: u32,
        lanes: u32,
    },
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2Sha256 { iterations: u32 },
}

impl KdfParams {
    /// The default: Argon2id, 128 MiB, t=3, p=4.
    pub const fn default_argon2id() -> Self {
        Self::Argon2id {
            memory_kib: ARGON2_DEFAULT_MEMORY_KIB,
            passes: ARGON2_DEFAULT_PASSES,
            lanes: ARGON2_DEFAULT_LANES,
        }
    }

    /// The compatibility variant, for machines where 128 MiB is too much.
    pub const fn default_pbkdf2() -> Self {
        Self::Pbkdf2Sha256 {
            iterations: PBKDF2_MIN_ITERATIONS,
        }
    }

    /// Refuses parameters below the floor or above the ceiling, with a message that says which.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Self::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => {
                if memory_kib < ARGON2_MIN_MEMORY_KIB || passes < ARGON2_MIN_PASSES {
                    return Err(Error::KdfBelowFloor(format!(
                        "Argon2id m={} MiB, t={passes} is below the minimum m={} MiB, t={}",
                        memory_kib / 1024,
                        ARGON2_MIN_MEMORY_KIB / 1024,
                        ARGON2_MIN_PASSES
                    )));
                }
                if memory_kib > ARGON2_MAX_MEMORY_KIB
                    || passes > ARGON2_MAX_PASSES
                    || lanes == 0
                    || lanes > ARGON2_MAX_LANES
                {
                    return Err(Error::KdfInvalid(format!(
                        "Argon2id m={} MiB, t={passes}, p={lanes} is outside the supported range \
                         (m up to {} MiB, t up to {ARGON2_MAX_PASSES}, p from 1 to {ARGON2_MAX_LANES})",
                        memory_kib / 1024,
                        ARGON2_MAX_MEMORY_KIB / 1024
                    )));
                }
            }
            Self::Pbkdf2Sha256 { iterations } => {
                if iterations < PBKDF2_MIN_ITERATIONS {
                    return Err(Error::KdfBelowFloor(format!(
                        "PBKDF2-HMAC-SHA256 with {iterations} iterations is below the minimum of \
                         {PBKDF2_MIN_ITERATIONS}"
                    )));
                }
                if iterations > PBKDF2_MAX_ITERATIONS {
                    return Err(Error::KdfInvalid(format!(
                        "PBKDF2 with {iterations} iterations is above the supported maximum of \
                         {PBKDF2_MAX_ITERATIONS}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether a successful unlock should silently re-wrap the vault key with stronger settings.
    /// PBKDF2 is the user's explicit choice, so it is only raised to the current PBKDF2 default.
    pub fn upgraded(&self) -> Option<Self> {
        match *self {
            Self::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => (memory_kib < ARGON2_DEFAULT_MEMORY_KIB || passes < ARGON2_DEFAULT_PASSES)
                .then_some(Self::Argon2id {
                    memory_kib: memory_kib.max(ARGON2_DEFAULT_MEMORY_KIB),
                    passes: passes.max(ARGON2_DEFAULT_PASSES),
                    lanes: lanes.max(ARGON2_DEFAULT_LANES),
                }),
            Self::Pbkdf2Sha256 { iterations } => {
                (iterations < PBKDF2_MIN_ITERATIONS).then_some(Self::default_pbkdf2())
            }
        }
    }
}

impl std::fmt::Display for KdfParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => write!(
                f,
                "Argon2id m={} MiB t={passes} p={lanes}",
                memory_kib / 1024
            ),
            Self::Pbkdf2Sha256 { iterations } => {
                write!(f, "PBKDF2-HMAC-SHA256 {iterations} iterations")
            }
        }
    }
}

/// `{alg, params, salt, version}`: everything needed to re-derive the key from the password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KdfRecord {
    pub version: u32,
    #[serde(flatten)]
    pub params: KdfParams,
    #[serde(with = "hex::serde")]
    #[ts(type = "string")]
    pub salt: [u8; SALT_LEN],
}

impl KdfRecord {
    pub fn new(params: KdfParams, rng: &mut (impl RngCore + CryptoRng)) -> Result<Self> {
        params.validate()?;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        Ok(Self {
            version: KDF_RECORD_VERSION,
            params,
            salt,
        })
    }

    /// Checks a record read from disk or received from a server.
    pub fn validate(&self) -> Result<()> {
        if self.version != KDF_RECORD_VERSION {
            return Err(Error::UnsupportedFormat {
                what: "key-derivation record",
                found: self.version,
                supported: KDF_RECORD_VERSION,
            });
        }
        self.params.validate()
    }

    /// Runs the KDF. The output is input keying material for HKDF, never used as a key directly.
    pub fn derive(&self, password: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        self.validate()?;
        let mut out = Zeroizing::new([0u8; 32]);
        match self.params {
            KdfParams::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => {
                let params = Params::new(memory_kib, passes, lanes, Some(32))
                    .map_err(|e| Error::KdfInvalid(format!("Argon2id parameters: {e}")))?;
                Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                    .hash_password_into(password, &self.salt, out.as_mut())
                    .map_err(|e| Error::KdfInvalid(format!("Argon2id: {e}")))?;
            }
            KdfParams::Pbkdf2Sha256 { iterations } => {
                pbkdf2::pbkdf2_hmac::<Sha256>(password, &self.salt, iterations, out.as_mut());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn argon2id_below_rfc9106_floor_is_refused() {
        for params in [
            KdfParams::Argon2id {
                memory_kib: 32 * 1024,
                passes: 3,
                lanes: 4,
            },
            KdfParams::Argon2id {
                memory_kib: 64 * 1024,
                passes: 2,
                lanes: 4,
            },
        ] {
            assert!(matches!(params.validate(), Err(Error::KdfBelowFloor(_))));
        }
    }

    #[test]
    fn pbkdf2_below_600k_is_refused() {
        let p = KdfParams::Pbkdf2Sha256 {
            iterations: 599_999,
        };
        assert!(matches!(p.validate(), Err(Error::KdfBelowFloor(_))));
        assert!(KdfParams::default_pbkdf2().validate().is_ok());
    }

    #[test]
    fn a_tampered_record_read_back_is_refused_before_deriving() {
        let mut record = KdfRecord::new(KdfParams::default_pbkdf2(), &mut OsRng).unwrap();
        record.params = KdfParams::Pbkdf2Sha256 { iterations: 1 };
        assert!(matches!(record.derive(b"pw"), Err(Error::KdfBelowFloor(_))));
        record.params = KdfParams::default_pbkdf2();
        record.version = 9;
        assert!(matches!(
            record.derive(b"pw"),
            Err(Error::UnsupportedFormat { .. })
        ));
    }

    #[test]
    fn pbkdf2_sha256_matches_the_published_reference_vector() {
        // PBKDF2-HMAC-SHA256("password", "salt", c=1, 32 bytes), the widely published vector:
        // checks the primitive's wiring (the record API itself refuses 1 iteration).
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"password", b"salt", 1, &mut out);
        assert_eq!(
            hex::encode(out),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
    }

    #[test]
    fn weak_argon2_is_upgraded_but_strong_is_left_alone() {
        let weak = KdfParams::Argon2id {
            memory_kib: 64 * 1024,
            passes: 3,
            lanes: 1,
        };
        assert_eq!(weak.upgraded(), Some(KdfParams::default_argon2id()));
        let strong = KdfParams::Argon2id {
            memory_kib: 256 * 1024,
            passes: 4,
            lanes: 4,
        };
        assert_eq!(strong.upgraded(), None);
        assert_eq!(KdfParams::default_pbkdf2().upgraded(), None);
    }

    #[test]
    fn record_serialises_as_alg_params_salt_version() {
        let record = KdfRecord::new(KdfParams::default_argon2id(), &mut OsRng).unwrap();
        let json: serde_json::Value = serde_json::to_value(&record).unwrap();
        assert_eq!(json["alg"], "argon2id");
        assert_eq!(json["memory_kib"], 131072);
        assert_eq!(json["version"], 1);
        assert_eq!(json["salt"].as_str().unwrap().len(), 32);
        let back: KdfRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
}
