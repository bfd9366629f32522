//! The message ABI's arithmetic (SPEC LC-MSG-1, LC-MSG-3 to LC-MSG-5): decoding `handle-message`'s result and
//! the bounds check used for `alloc`'s pointer and for the reply.

/// What `handle-message`'s i64 result means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// r < 0: the application error `-r`.
    AppError(u64),
    /// Length 0: no reply, whatever the pointer.
    NoReply,
    Reply {
        ptr: u64,
        len: u64,
    },
}

pub fn decode(result: i64) -> Decoded {
    if result < 0 {
        return Decoded::AppError(result.unsigned_abs());
    }
    let (ptr, len) = ((result as u64) >> 32, (result as u64) & 0xffff_ffff);
    if len == 0 {
        Decoded::NoReply
    } else {
        Decoded::Reply { ptr, len }
    }
}

/// Does `[ptr, ptr + len)` lie inside a memory of `size` bytes?
pub fn in_bounds(ptr: u64, len: u64, size: u64) -> bool {
    ptr.checked_add(len).is_some_and(|end| end <= size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_results() {
        assert_eq!(decode(-1), Decoded::AppError(1));
        assert_eq!(decode(-42), Decoded::AppError(42));
        assert_eq!(decode(i64::MIN), Decoded::AppError(1 << 63));
        assert_eq!(decode(0), Decoded::NoReply);
        assert_eq!(decode(0x7fff_ffff_0000_0000), Decoded::NoReply);
        assert_eq!(decode((16 << 32) | 5), Decoded::Reply { ptr: 16, len: 5 });
        assert_eq!(
            decode(i64::MAX),
            Decoded::Reply {
                ptr: 0x7fff_ffff,
                len: 0xffff_ffff
            }
        );
    }

    #[test]
    fn bounds_are_half_open_and_never_overflow() {
        assert!(in_bounds(0, 0, 0));
        assert!(in_bounds(65_531, 5, 65_536));
        assert!(!in_bounds(65_532, 5, 65_536));
        assert!(!in_bounds(u64::MAX, 2, 65_536));
    }
}
