//! The OPAQUE configuration client and server must share (feature `opaque`): cipher suite,
//! key-stretching parameters and the context string. Changing any of them invalidates every
//! registered account, so they are versioned with the API.

use opaque_ke::{Ristretto255, TripleDh};

/// RFC 9807 OPAQUE with ristretto255, 3DH over SHA-512, and Argon2id as key-stretching
/// function (run on the client only).
pub struct CofferCipherSuite;

impl opaque_ke::CipherSuite for CofferCipherSuite {
    type OprfCs = Ristretto255;
    type KeyExchange = TripleDh<Ristretto255, sha2::Sha512>;
    type Ksf = argon2::Argon2<'static>;
}

/// Context bound into the OPAQUE key exchange (`ClientLoginFinishParameters::context` and
/// `ServerLoginParameters::context`).
pub const CONTEXT: &[u8] = b"coffer/opaque/v1";

/// Argon2id memory in KiB (64 MiB, the RFC 9106 floor), iterations and lanes.
pub const KSF_MEMORY_KIB: u32 = 64 * 1024;
pub const KSF_ITERATIONS: u32 = 3;
pub const KSF_LANES: u32 = 4;

/// The key-stretching function to pass explicitly at registration finish and at login finish
/// (`Argon2::default()` is far weaker).
pub fn ksf() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(KSF_MEMORY_KIB, KSF_ITERATIONS, KSF_LANES, None)
        .expect("constant Argon2 parameters are valid");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}
