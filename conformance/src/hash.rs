//! One stable hash (FNV-1a 64): the same on every machine and toolchain, unlike `std`'s
//! hasher, for names that must not change between runs (shards, the built-in cases'
//! directory, corpus ids).

/// FNV-1a over everything fed to it, in order.
pub(crate) struct StableHash(u64);

impl StableHash {
    pub(crate) fn new() -> StableHash {
        StableHash(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) -> &mut StableHash {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }

    /// The hash of `bytes` alone.
    pub(crate) fn of(bytes: &[u8]) -> u64 {
        StableHash::new().feed(bytes).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_fnv1a_64() {
        assert_eq!(StableHash::of(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(StableHash::of(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            StableHash::new().feed(b"fo").feed(b"o").finish(),
            StableHash::of(b"foo")
        );
    }
}
