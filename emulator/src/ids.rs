//! Random identifiers: request ids, job ids, image ids (UUID v4), tokens.
//!
//! Not cryptographic (`fastrand`): the emulator only needs them unique and well-formed.

const HEX: &[u8; 16] = b"0123456789abcdef";
const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// 32 lowercase hex digits (request ids and job ids).
pub fn hex32() -> String {
    let mut out = String::with_capacity(32);
    push_hex(&mut out, fastrand::u128(..), 32);
    out
}

/// A random UUID version 4 in its canonical lowercase form.
pub fn uuid_v4() -> String {
    let mut v = fastrand::u128(..);
    v &= !(0xF << 76);
    v |= 0x4 << 76; // version 4
    v &= !(0x3 << 62);
    v |= 0x2 << 62; // variant 10xx
    let mut hex = String::with_capacity(32);
    push_hex(&mut hex, v, 32);
    let mut out = String::with_capacity(36);
    for (i, part) in [(0, 8), (8, 12), (12, 16), (16, 20), (20, 32)]
        .iter()
        .enumerate()
    {
        if i > 0 {
            out.push('-');
        }
        out.push_str(&hex[part.0..part.1]);
    }
    out
}

/// `n` random characters of `A-Z a-z 0-9`.
pub fn alnum(n: usize) -> String {
    (0..n)
        .map(|_| char::from(ALNUM[fastrand::usize(..ALNUM.len())]))
        .collect()
}

/// `n` random characters of `A-Z 0-9`.
pub fn upper_alnum(n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| char::from(SET[fastrand::usize(..SET.len())]))
        .collect()
}

fn push_hex(out: &mut String, v: u128, digits: u32) {
    for i in (0..digits).rev() {
        let nibble = (v >> (i * 4)) & 0xF;
        out.push(char::from(HEX[nibble as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let h = hex32();
        assert_eq!(h.len(), 32);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_eq!(u.matches('-').count(), 4);
        assert_eq!(alnum(7).len(), 7);
    }
}
