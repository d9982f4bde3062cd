//! The snn cache folder, and the stable hash naming cached PTX files.

use std::path::PathBuf;

/// The snn cache root: `$SNN_CACHE_DIR` when set and not empty, else
/// `$HOME/.cache/snn`, else `<temp dir>/.cache/snn` (the same rule as
/// `scripts/install-nvrtc.sh`).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = non_empty_env("SNN_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(home) = non_empty_env("HOME") {
        return PathBuf::from(home).join(".cache").join("snn");
    }
    std::env::temp_dir().join(".cache").join("snn")
}

/// Where compiled PTX is cached: `<cache_dir>/ptx`, or `None` when
/// `SNN_NO_PTX_CACHE` is set to anything but `0` or empty.
pub fn ptx_cache_dir() -> Option<PathBuf> {
    match non_empty_env("SNN_NO_PTX_CACHE") {
        Some(v) if v != "0" => None,
        _ => Some(cache_dir().join("ptx")),
    }
}

/// An environment variable's value, `None` when unset, empty or not UTF-8.
pub(crate) fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// 128-bit FNV-1a: a fixed, platform-independent hash for cache keys (not
/// cryptographic; the keys are our own inputs, not an adversary's).
pub(crate) struct Fnv128(u128);

impl Fnv128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;

    pub(crate) fn new() -> Self {
        Fnv128(Self::OFFSET)
    }

    /// Hashes `bytes`, then a separator byte (`0xff`, which no UTF-8 text
    /// contains), so that ("ab", "c") and ("a", "bc") differ.
    pub(crate) fn field(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes.iter().chain(std::iter::once(&0xffu8)) {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
        self
    }

    /// The hash as 32 lowercase hex digits.
    pub(crate) fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fnv(bytes: &[u8]) -> u128 {
        let mut h = Fnv128::OFFSET;
        for &b in bytes {
            h ^= u128::from(b);
            h = h.wrapping_mul(Fnv128::PRIME);
        }
        h
    }

    #[test]
    fn fnv1a_128_reference_values() {
        // Published FNV-1a 128 test vectors.
        assert_eq!(fnv(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(fnv(b"foobar"), 0x343e1662793c64bf6f0d3597ba446f18);
    }

    #[test]
    fn fields_are_separated() {
        let a = Fnv128::new().field(b"ab").field(b"c").hex();
        let b = Fnv128::new().field(b"a").field(b"bc").hex();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
