//! The hash and HMAC behind each algorithm (RustCrypto crates), the V11 key derivation, and a
//! table-driven lower-case hex encoder (the hot path writes four of them per signature).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use zeroize::Zeroizing;

use super::Algorithm;

/// An incremental hash of the algorithm's kind, fed piece by piece (no joined buffer).
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sm3(Sm3),
}

impl Hasher {
    /// A fresh hasher for `alg`.
    pub(crate) fn new(alg: Algorithm) -> Self {
        match alg {
            Algorithm::SdkHmacSha256 | Algorithm::V11HmacSha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::SdkHmacSm3 => Hasher::Sm3(Sm3::new()),
        }
    }

    /// Feeds `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sm3(h) => h.update(data),
        }
    }

    /// Lower-case hex of the digest.
    pub(crate) fn finish_hex(self) -> String {
        match self {
            Hasher::Sha256(h) => hex_lower(&h.finalize()),
            Hasher::Sm3(h) => hex_lower(&h.finalize()),
        }
    }
}

/// Lower-case hex of the algorithm's hash of `data`.
pub(crate) fn hash_hex(alg: Algorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(alg);
    h.update(data);
    h.finish_hex()
}

/// Lower-case hex of the algorithm's HMAC of `data` under `key`.
pub(crate) fn hmac_hex(alg: Algorithm, key: &[u8], data: &[u8]) -> String {
    match alg {
        Algorithm::SdkHmacSha256 | Algorithm::V11HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect(ANY_KEY);
            mac.update(data);
            hex_lower(&mac.finalize().into_bytes())
        }
        Algorithm::SdkHmacSm3 => {
            let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(key).expect(ANY_KEY);
            mac.update(data);
            hex_lower(&mac.finalize().into_bytes())
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
    Zeroizing::new(hex_lower(okm.as_ref()))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    // Only ASCII hex digits were written.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_hashes() {
        assert_eq!(hex_lower(&[0x00, 0x7f, 0xab, 0xff]), "007fabff");
        assert_eq!(
            hash_hex(Algorithm::SdkHmacSha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash_hex(Algorithm::SdkHmacSm3, b""),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
    }
}
