//! Handing freed heap back to the system. glibc keeps freed memory in its arenas for reuse,
//! and after a large block allocated by `mmap` is freed it serves later blocks of that size
//! from the arenas too, where freeing them returns nothing; without a trim, the peak of a busy
//! minute would stay resident for good.

/// Releases the free memory of the allocator's arenas. Costs a walk of the arenas: call it
/// after large frees, not per request.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
