//! The hash and HMAC behind each algorithm (RustCrypto crates), and the V11 key derivation.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use zeroize::Zeroizing;

use super::Algorithm;

/// Lower-case hex of the algorithm's hash of `data`.
pub(crate) fn hash_hex(alg: Algorithm, data: &[u8]) -> String {
    match alg {
        Algorithm::SdkHmacSha256 | Algorithm::V11HmacSha256 => hex::encode(Sha256::digest(data)),
        Algorithm::SdkHmacSm3 => hex::encode(Sm3::digest(data)),
    }
}

/// Lower-case hex of the algorithm's HMAC of `data` under `key`.
pub(crate) fn hmac_hex(alg: Algorithm, key: &[u8], data: &[u8]) -> String {
    match alg {
        Algorithm::SdkHmacSha256 | Algorithm::V11HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect(ANY_KEY);
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        Algorithm::SdkHmacSm3 => {
            let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(key).expect(ANY_KEY);
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
    }
}

/// HMAC accepts keys of any length, so keying it cannot fail.
const ANY_KEY: &str = "HMAC takes keys of any length";

/// The V11 signing key: the lower-case hex text (64 ASCII bytes) of
/// HKDF-SHA256(salt = AK, ikm = SK, info = `yyyymmdd/region/service`, 32 bytes).
pub(crate) fn v11_key(ak: &str, sk: &str, info: &str) -> Zeroizing<String> {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(ak.as_bytes()), sk.as_bytes());
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = hk.expand(info.as_bytes(), okm.as_mut());
    Zeroizing::new(hex::encode(okm.as_ref()))
}
