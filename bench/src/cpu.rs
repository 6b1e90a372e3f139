//! CPU time used by a process, from `/proc`.

/// Clock ticks per second of `/proc/*/stat` (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
const TICKS: f64 = 100.0;

/// User and system CPU seconds of the process `pid`, 0 when unreadable.
pub fn of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces; the fields after it are plain.
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of the line: indices 11 and 12 after the name.
    field(11).unwrap_or(0.0) / TICKS + field(12).unwrap_or(0.0) / TICKS
}

pub fn own_seconds() -> f64 {
    of("self")
}
