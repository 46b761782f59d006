//! What Linux says of a process under `/proc`: a `status` field and the CPU
//! time used, for the benches that watch the relay, PostgreSQL or themselves.

/// A `/proc/PID/status` field in kB (`field` with its colon: "VmRSS:",
/// "VmHWM:", "RssAnon:", …); None when the process or field is gone.
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// A `status` field in MB, NaN when it cannot be read (shown as n/a).
pub fn status_mb(pid: u32, field: &str) -> f64 {
    status_kb(pid, field).map_or(f64::NAN, |kb| kb as f64 / 1024.0)
}

/// A process's user + system CPU, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    // Fields after the command name (which may hold spaces): state is 3rd, utime 14th, stime 15th.
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}

/// Clock ticks per second (`getconf CLK_TCK`).
pub fn ticks_per_s() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_a_resident_size_and_uses_cpu() {
        let me = std::process::id();
        assert!(super::status_kb(me, "VmRSS:").is_some_and(|kb| kb > 0));
        assert!(super::status_kb(me, "NoSuchField:").is_none());
        assert!(super::status_mb(u32::MAX, "VmRSS:").is_nan(), "no such process");
        let t0 = super::cpu_ticks(me);
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(31).wrapping_add(std::hint::black_box(7));
        }
        std::hint::black_box(x);
        assert!(super::cpu_ticks(me) > t0, "200 ms of work shows as CPU ticks");
    }
}
