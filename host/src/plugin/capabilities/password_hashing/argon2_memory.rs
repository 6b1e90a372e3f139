//! Working memory for argon2, reused between calls. A fresh 19 MiB allocation per login is
//! faulted in and zeroed page by page by the kernel, a fifth of the cost of the hash itself;
//! argon2 writes every block before it reads it, so reused memory needs no clearing.
//! Buffers idle for half a second are handed back to the system, so an idle server stays
//! small however many logins it served at once.

use argon2::Block;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

const IDLE_LIFETIME: Duration = Duration::from_millis(500);

struct Pool {
    idle: Mutex<Vec<(Vec<Block>, Instant)>>,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| {
    std::thread::Builder::new()
        .name("latchkey-argon2-reaper".into())
        .spawn(reap_forever)
        .expect("spawning the argon2 memory reaper");
    Pool {
        idle: Mutex::new(Vec::new()),
    }
});

fn lock() -> std::sync::MutexGuard<'static, Vec<(Vec<Block>, Instant)>> {
    POOL.idle.lock().unwrap_or_else(|e| e.into_inner())
}

fn reap_forever() {
    loop {
        std::thread::sleep(IDLE_LIFETIME / 2);
        let expired: Vec<_> = {
            let mut idle = lock();
            let (keep, expired) = idle
                .drain(..)
                .partition(|(_, since)| since.elapsed() < IDLE_LIFETIME);
            *idle = keep;
            expired
        };
        if !expired.is_empty() {
            drop(expired);
            crate::heap::return_freed_memory();
        }
    }
}

/// Runs `f` with at least `blocks` blocks of memory.
pub(super) fn with_blocks<R>(blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let mut memory = lock().pop().map(|(m, _)| m).unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let result = f(&mut memory[..blocks]);
    // One buffer per concurrent hash at most; more cannot be in use at once than there are
    // threads hashing, and those are bounded by the plugin call permits.
    lock().push((memory, Instant::now()));
    result
}
