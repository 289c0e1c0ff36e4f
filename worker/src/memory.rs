//! How the process's allocator treats the large, short-lived buffers of an
//! image job (a 12 MP decode alone is 36 MB).
//!
//! glibc serves every allocation over 32 MiB with a fresh `mmap` and unmaps
//! it on free, so each job pays again for the kernel to fault in and zero
//! every page of its decode and resize buffers: a fifth of the CPU time of a
//! 12 MP standard job on the bench machine. [`reuse_freed_memory`] keeps such
//! buffers in the heap for the next job instead, and still hands memory back
//! to the kernel past [`RETAINED_BYTES`] of free space at the heap's top.
//!
//! That threshold keeps the freed memory resident while jobs come; when they
//! stop, [`return_free_memory`] hands it all back (the runner calls it when
//! the workers go idle). glibc only ever trims the top of its *main* heap,
//! though: the extra arenas it gives threads that allocate at the same time
//! keep their freed top (up to 64 MiB each) for good. So the process uses one
//! arena. Measured with `bench/idle-memory.sh` (six 12 MP jobs, two workers,
//! debug build): resident memory after 1 s idle 186–256 MiB with per-thread
//! arenas, 21 MiB (as fresh) with one; the burst's peak fell from ~314 to
//! 174 MiB and its time did not grow; the one-job `pixpipe bench` CPU time
//! moved within its noise.

/// Free memory kept for reuse at the top of a heap before glibc trims it.
pub const RETAINED_BYTES: usize = 256 << 20;

/// Serves all allocations from one heap (no per-allocation `mmap`, one
/// arena) and keeps up to [`RETAINED_BYTES`] of freed memory for reuse. Call once at start-up,
/// before any threads; returns whether the allocator took the settings
/// (false where the allocator is not glibc's).
pub fn reuse_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let retained = libc::c_int::try_from(RETAINED_BYTES).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes allocator parameters; it is called
        // with valid parameter numbers and values.
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, retained) == 1
                && libc::mallopt(libc::M_ARENA_MAX, 1) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Returns the free memory of every allocator arena to the kernel (glibc
/// `malloc_trim(0)`, which also releases free pages inside the heaps); takes
/// a few milliseconds. Returns whether anything was released (always false
/// where the allocator is not glibc's).
pub fn return_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free memory of the allocator's own
        // arenas to the kernel; it takes no pointers.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page faults taken by the calling thread so far.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn faults() -> i64 {
        // SAFETY: getrusage fills the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) },
            0
        );
        usage.ru_minflt
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn a_freed_large_buffer_is_reused_without_faulting_its_pages_in_again() {
        const LEN: usize = 40 << 20;
        assert!(reuse_freed_memory());
        let first = vec![1u8; LEN];
        assert_eq!(first[LEN - 1], 1);
        drop(first);
        let before = faults();
        let second = vec![2u8; LEN];
        let taken = faults() - before;
        assert_eq!(second[LEN - 1], 2);
        // Without the settings this is one fault per 4 KiB page: over 10,000.
        assert!(taken < 1_000, "{taken} page faults");
    }
}
