//! Large host buffers (connectivity, per-synapse variables) backed by
//! transparent huge pages where the operating system offers them.
//!
//! Building a network of hundreds of millions of synapses writes gigabytes
//! of freshly allocated memory; with 4 KiB pages, the kernel's page faults
//! (one per page, each zeroing it) took about a third of the microcircuit's
//! initialisation time. Buffers of at least [`HUGE_MIN_BYTES`] are advised
//! (`madvise(MADV_HUGEPAGE)`) before their first write, so Linux backs them
//! with 2 MiB pages when transparent huge pages are enabled (`always` or
//! `madvise`). Elsewhere, or when the advice is refused, nothing changes.

/// Buffers from this size on are advised to use huge pages.
pub const HUGE_MIN_BYTES: usize = 8 << 20;

/// `len` zeros, like `vec![T::zeroed(); len]`, advised to huge pages when large.
pub fn zeroed_vec<T: bytemuck::Zeroable + Clone>(len: usize) -> Vec<T> {
    // The allocation is zeroed by the allocator (fresh pages for large
    // sizes) and not yet touched, so the advice applies to every page.
    let v = vec![T::zeroed(); len];
    advise_huge_pages(&v);
    v
}

/// An empty vector with room for `capacity` elements, advised to huge pages when large.
pub fn vec_with_capacity<T>(capacity: usize) -> Vec<T> {
    let v = Vec::with_capacity(capacity);
    advise_huge_pages(&v);
    v
}

/// Advises the allocation of `v` (its whole capacity) to use huge pages
/// when it is at least [`HUGE_MIN_BYTES`]; a hint only.
fn advise_huge_pages<T>(v: &Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < HUGE_MIN_BYTES {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let first = start.next_multiple_of(HUGE);
        let end = (start + bytes) / HUGE * HUGE;
        if end > first {
            // SAFETY: the range lies inside `v`'s allocation; MADV_HUGEPAGE
            // changes how pages are backed, never their contents, and a
            // failure (no THP support) leaves the memory as it was.
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_zeroed_or_empty_whatever_their_size() {
        for len in [0usize, 10, HUGE_MIN_BYTES / 4 + 3] {
            let z: Vec<u32> = zeroed_vec(len);
            assert_eq!(z.len(), len);
            assert!(z.iter().all(|&x| x == 0));
            let mut e: Vec<f32> = vec_with_capacity(len);
            assert!(e.is_empty() && e.capacity() >= len);
            e.extend((0..len).map(|i| i as f32));
            assert_eq!(e.len(), len);
        }
        let b: Vec<bool> = zeroed_vec(HUGE_MIN_BYTES + 1);
        assert!(b.iter().all(|&x| !x));
    }
}
