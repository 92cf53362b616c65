//! The global allocator: mimalloc, called the way its fast path expects.
//!
//! The `mimalloc` crate's allocator hands every request to
//! `mi_malloc_aligned`, even for ordinary alignments. mimalloc serves that
//! from its fast path only while the size class's page has a free block at
//! hand; otherwise, for sizes that are not a power of two, it over-allocates
//! a larger block and aligns into it, which does not refill the original
//! size class, so it tends to keep doing that. On a cached catalogue read
//! this fallback was ~700 of ~26,000 instructions per request (callgrind;
//! see bench/README.md), and it wastes memory. Every mimalloc block is
//! aligned to at least 8 bytes, so requests aligned to 8 or less go to plain
//! `mi_malloc` (as std's system allocator does with `malloc`); larger
//! alignments keep the aligned calls.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as ffi;

/// Alignment every mimalloc block has (its smallest size class, a word).
const MIN_ALIGN: usize = 8;

/// mimalloc as the global allocator; see the module documentation.
pub struct MiMalloc;

// SAFETY: mimalloc returns blocks of at least `size` bytes aligned to
// `MIN_ALIGN`, or to the requested alignment through the `_aligned` calls;
// `mi_free` and `mi_realloc*` accept any block it returned.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            ffi::mi_malloc(layout.size()) as *mut u8
        } else {
            ffi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            ffi::mi_zalloc(layout.size()) as *mut u8
        } else {
            ffi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        ffi::mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            ffi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            ffi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_as_asked() {
        for (size, align) in [(1, 1), (24, 8), (40, 8), (24, 16), (48, 16), (100, 64), (3000, 128), (24, 4096)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            unsafe {
                let p = MiMalloc.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "size {size} align {align}");
                p.write_bytes(0xab, size);
                let q = MiMalloc.realloc(p, layout, size * 3);
                assert_eq!(q as usize % align, 0);
                assert_eq!(*q.add(size - 1), 0xab);
                MiMalloc.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                let z = MiMalloc.alloc_zeroed(layout);
                assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                MiMalloc.dealloc(z, layout);
            }
        }
    }
}
