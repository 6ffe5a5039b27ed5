//! Ids: the fixed ones every emulated org has, and fresh random ones.

use base64::Engine;
use rand::Rng;

pub const ORG_ID: &str = "6f1f6b2e-0000-4000-8000-00000000000a";
pub const ORG_NAME: &str = "Emulated Org";
/// The default division ("Home"): where roles given as `roleIds` are
/// granted and where a conversation lands when nothing places it elsewhere.
pub const HOME_DIVISION_ID: &str = "d0000000-0000-4000-8000-000000000001";
pub const HOME_DIVISION_NAME: &str = "Home";

/// A v4-shaped UUID from the (seedable) emulator RNG, so ids repeat with a seed.
pub fn rand_uuid(rng: &mut impl Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// A fresh access token: 32 random bytes, base64url without padding.
pub fn random_token(rng: &mut impl Rng) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rng.random::<[u8; 32]>())
}
