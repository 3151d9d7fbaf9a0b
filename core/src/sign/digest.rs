//! The hash and HMAC behind each algorithm (RustCrypto crates), the V11 key derivation, and a
//! lower-case hex encoder writing to the stack (the hot path writes three of them per signature).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use zeroize::Zeroizing;

use super::Algorithm;

/// The algorithm's hash of `data` (SHA-256 and SM3 digests are both 32 bytes).
pub(crate) fn hash(alg: Algorithm, data: &[u8]) -> Hex {
    let digest: [u8; 32] = match alg {
        Algorithm::SdkHmacSha256 | Algorithm::V11HmacSha256 => Sha256::digest(data).into(),
        Algorithm::SdkHmacSm3 => Sm3::digest(data).into(),
    };
    Hex::of(&digest)
}

/// The algorithm's HMAC of `data` under `key`.
pub(crate) fn hmac(alg: Algorithm, key: &[u8], data: &[u8]) -> Hex {
    let tag: [u8; 32] = match alg {
        Algorithm::SdkHmacSha256 | Algorithm::V11HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect(ANY_KEY);
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Algorithm::SdkHmacSm3 => {
            let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(key).expect(ANY_KEY);
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
    };
    Hex::of(&tag)
}

/// HMAC accepts keys of any length, so keying it cannot fail.
const ANY_KEY: &str = "HMAC takes keys of any length";

/// The V11 signing key: the lower-case hex text (64 ASCII bytes) of
/// HKDF-SHA256(salt = AK, ikm = SK, info = `yyyymmdd/region/service`, 32 bytes), the info given
/// in its five pieces `[day, "/", region, "/", service]` (never joined into a new string).
/// Wiped when dropped.
pub(crate) fn v11_key(ak: &str, sk: &str, info: &[&str; 5]) -> Zeroizing<[u8; 64]> {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(ak.as_bytes()), sk.as_bytes());
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = hk.expand_multi_info(&info.map(str::as_bytes), okm.as_mut());
    let mut key = Zeroizing::new([0u8; 64]);
    hex_into(&okm, &mut key);
    key
}

/// The lower-case hex text of a 32-byte digest, on the stack (aligned so that checking it as
/// UTF-8 goes a word at a time).
#[derive(Clone, Copy)]
#[repr(align(16))]
pub(crate) struct Hex([u8; 64]);

impl Hex {
    fn of(bytes: &[u8; 32]) -> Self {
        let mut out = [0u8; 64];
        hex_into(bytes, &mut out);
        Hex(out)
    }

    /// The hex text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Writes the lower-case hex of `bytes` to `out`, two digits per table read.
fn hex_into(bytes: &[u8; 32], out: &mut [u8; 64]) {
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
}

/// The two lower-case hex digits of each byte value.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_hashes() {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&[0x00, 0x7f, 0xab, 0xff]);
        bytes[31] = 0x10;
        assert_eq!(
            Hex::of(&bytes).as_str(),
            format!("007fabff{}10", "00".repeat(27))
        );
        assert_eq!(
            hash(Algorithm::SdkHmacSha256, b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash(Algorithm::SdkHmacSm3, b"").as_str(),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
    }

    #[test]
    fn v11_key_info_pieces_are_joined() {
        let whole = v11_key("AK", "SK", &["20240102/cn-north-4/ims", "", "", "", ""]);
        let pieces = v11_key("AK", "SK", &["20240102", "/", "cn-north-4", "/", "ims"]);
        assert_eq!(whole.as_slice(), pieces.as_slice());
        let other = v11_key("AK", "SK", &["20240102", "/", "cn-north-4", "/", "iam"]);
        assert_ne!(whole.as_slice(), other.as_slice());
        assert!(pieces.iter().all(u8::is_ascii_hexdigit));
    }
}
