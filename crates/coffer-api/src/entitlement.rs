//! The signed entitlement: what the server allows an account (plan, limits, usage, paid
//! period, locked items and their purge date), signed with Ed25519 so that clients can cache
//! it and honour it offline.
//!
//! Key distribution: `GET` [`crate::routes::ENTITLEMENT_KEY`] (public) answers the server's
//! [`EntitlementKey`]. A client fetches it when it registers or first logs in to a server,
//! stores it with the account (trust on first use, like an SSH host key) and verifies every
//! entitlement with [`SignedEntitlement::verify`] against the stored key. The server keeps
//! the key pair in its database, so it is stable across restarts and shared by every
//! instance; a different key later means a different server (or a restored one): ask the user.

use crate::Bytes;
use crate::billing::{PlanId, PlanLimits};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use uuid::Uuid;

/// Version of the [`Entitlement`] payload.
pub const ENTITLEMENT_FORMAT: u32 = 1;
/// Prefixed to the payload before signing, so no other signed message can pass as one.
const SIGNING_CONTEXT: &[u8] = b"coffer-entitlement-v1\0";

/// What the account uses: its live, unlocked items first committed in the current calendar
/// month (by kind class), its remote OCR credits of the month, and its stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MonthUsage {
    /// `YYYY-MM` in the billing time zone.
    pub month: String,
    pub receipts: u32,
    pub documents: u32,
    /// Remote OCR credits used (of `limits.remote_ocr_credits_per_month`).
    #[serde(default)]
    pub remote_ocr: u32,
    /// Bytes the account stores now, in any month (of `limits.storage_bytes`).
    #[serde(default)]
    pub stored_bytes: u64,
    /// Unix seconds when the next month starts (the limits reset).
    pub reset_at: i64,
}

/// The entitlement itself (the signed payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Entitlement {
    /// [`ENTITLEMENT_FORMAT`].
    pub format: u32,
    pub account_id: Uuid,
    /// The plan in force now (`start` after a downgrade).
    pub plan: PlanId,
    pub limits: PlanLimits,
    /// Usage of the current month.
    pub usage: MonthUsage,
    /// End of the paid period (Unix seconds); `None` on the free plan.
    pub period_end: Option<i64>,
    /// Whether the plan renews at `period_end`; false once cancelled (it then moves to the
    /// free plan at `period_end`).
    pub renews: bool,
    /// Items that are locked after a downgrade: not downloadable, editable or exportable, on
    /// the server and in every client. Per month, those first committed last (the newest).
    /// Unless a paid plan is renewed before `purge_at`, they are deleted for good then, and
    /// their tombstones reach every device: clients delete them without the trash.
    pub locked: Vec<Uuid>,
    /// When the locked items are deleted for good (Unix seconds); `None` if nothing is locked.
    /// Clients warn the user in the app from 14 days before.
    pub purge_at: Option<i64>,
    /// Unix seconds.
    pub issued_at: i64,
    /// Fetch a fresh one after this (Unix seconds). Until then, and offline after it, the
    /// cached one still governs the locks.
    pub refresh_after: i64,
}

impl Entitlement {
    pub fn is_locked(&self, item_id: Uuid) -> bool {
        self.locked.contains(&item_id)
    }
}

/// `GET` [`crate::routes::ENTITLEMENT`] (authenticated): the JSON [`Entitlement`] exactly as
/// signed, and its Ed25519 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntitlement {
    /// UTF-8 JSON of an [`Entitlement`].
    pub payload: Bytes,
    /// Ed25519 over `"coffer-entitlement-v1\0" || payload`.
    pub signature: Bytes,
    /// [`EntitlementKey::key_id`] of the signing key.
    pub key_id: String,
}

/// `GET` [`crate::routes::ENTITLEMENT_KEY`] (public): the server's entitlement signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementKey {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The 32-byte Ed25519 public key.
    pub public_key: Bytes,
    /// First 8 bytes of SHA-256(public key), hex.
    pub key_id: String,
}

impl EntitlementKey {
    pub fn from_verifying_key(key: &VerifyingKey) -> Self {
        EntitlementKey {
            algorithm: "ed25519".into(),
            public_key: Bytes(key.to_bytes().to_vec()),
            key_id: key_id(key),
        }
    }
}

fn key_id(key: &VerifyingKey) -> String {
    Sha256::digest(key.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    [SIGNING_CONTEXT, payload].concat()
}

/// Why an entitlement was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntitlementError {
    #[error("the server's entitlement key is not a valid Ed25519 public key")]
    BadKey,
    #[error(
        "the entitlement was signed by another key than the one stored for this server; \
         log in again to confirm the server's new key"
    )]
    UnknownKey,
    #[error("the entitlement's signature is not valid; it was altered or is not from this server")]
    BadSignature,
    #[error("the entitlement is not readable (format {0}); update Coffer")]
    Unreadable(String),
}

impl SignedEntitlement {
    /// Signs `entitlement` (server side).
    pub fn sign(entitlement: &Entitlement, key: &SigningKey) -> Self {
        let payload = serde_json::to_vec(entitlement).expect("an entitlement serialises");
        let signature = key.sign(&signed_message(&payload));
        SignedEntitlement {
            payload: Bytes(payload),
            signature: Bytes(signature.to_bytes().to_vec()),
            key_id: key_id(&key.verifying_key()),
        }
    }

    /// Checks the signature against the server's key and returns the entitlement (client
    /// side). Nothing in the payload is trusted before this succeeds.
    pub fn verify(&self, key: &EntitlementKey) -> Result<Entitlement, EntitlementError> {
        let bytes: [u8; 32] = key
            .public_key
            .as_slice()
            .try_into()
            .map_err(|_| EntitlementError::BadKey)?;
        let public = VerifyingKey::from_bytes(&bytes).map_err(|_| EntitlementError::BadKey)?;
        if self.key_id != key_id(&public) {
            return Err(EntitlementError::UnknownKey);
        }
        let signature = Signature::from_slice(self.signature.as_slice())
            .map_err(|_| EntitlementError::BadSignature)?;
        public
            .verify_strict(&signed_message(self.payload.as_slice()), &signature)
            .map_err(|_| EntitlementError::BadSignature)?;
        let entitlement: Entitlement = serde_json::from_slice(self.payload.as_slice())
            .map_err(|e| EntitlementError::Unreadable(e.to_string()))?;
        if entitlement.format != ENTITLEMENT_FORMAT {
            return Err(EntitlementError::Unreadable(entitlement.format.to_string()));
        }
        Ok(entitlement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entitlement {
        Entitlement {
            format: ENTITLEMENT_FORMAT,
            account_id: Uuid::nil(),
            plan: "start".into(),
            limits: PlanLimits {
                receipts_per_month: 5,
                documents_per_month: 3,
                remote_ocr_credits_per_month: 0,
                email_reminders: false,
                storage_bytes: 1 << 30,
            },
            usage: MonthUsage {
                month: "2028-02".into(),
                receipts: 5,
                documents: 1,
                remote_ocr: 0,
                stored_bytes: 0,
                reset_at: 1_835_474_400,
            },
            period_end: None,
            renews: false,
            locked: vec![Uuid::from_u128(7)],
            purge_at: Some(1_840_000_000),
            issued_at: 1_830_000_000,
            refresh_after: 1_830_086_400,
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_signed_entitlement_verifies_with_the_servers_key() {
        let signed = SignedEntitlement::sign(&sample(), &key(1));
        let public = EntitlementKey::from_verifying_key(&key(1).verifying_key());
        let e = signed.verify(&public).unwrap();
        assert_eq!(e, sample());
        assert!(e.is_locked(Uuid::from_u128(7)));
    }

    #[test]
    fn an_altered_entitlement_is_rejected() {
        let mut signed = SignedEntitlement::sign(&sample(), &key(1));
        let text = String::from_utf8(signed.payload.0.clone()).unwrap();
        signed.payload = Bytes(text.replace("\"start\"", "\"plus\"").into_bytes());
        let public = EntitlementKey::from_verifying_key(&key(1).verifying_key());
        assert_eq!(signed.verify(&public), Err(EntitlementError::BadSignature));
    }

    #[test]
    fn an_entitlement_from_another_key_is_rejected() {
        let signed = SignedEntitlement::sign(&sample(), &key(2));
        let public = EntitlementKey::from_verifying_key(&key(1).verifying_key());
        assert_eq!(signed.verify(&public), Err(EntitlementError::UnknownKey));
        // Even with the key id forged to match.
        let forged = SignedEntitlement {
            key_id: public.key_id.clone(),
            ..signed
        };
        assert_eq!(forged.verify(&public), Err(EntitlementError::BadSignature));
    }
}
