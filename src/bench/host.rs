//! What the host says about this process: resident and virtual size, its mapping limit.

/// Resident set and virtual size of this process, in bytes (`None` off Linux).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Footprint {
    pub rss_bytes: u64,
    pub vm_size_bytes: u64,
}

/// This process's footprint now, from `/proc/self/status`.
pub fn footprint() -> Option<Footprint> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let n: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(n * 1024)
    };
    Some(Footprint {
        rss_bytes: kib("VmRSS:")?,
        vm_size_bytes: kib("VmSize:")?,
    })
}

/// The kernel's limit on memory mappings per process (`vm.max_map_count`): each ready
/// instance holds a few, so this bounds how many one process can hold.
pub fn max_map_count() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
    text.trim().parse().ok()
}

/// Memory mappings this process holds now.
pub fn mappings() -> Option<u64> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    Some(maps.lines().count() as u64)
}

/// A one-line description of the machine: CPU model and count.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{cpus} × {model}")
}

/// Now, in UTC, as RFC 3339 to the second (`2026-12-05T10:31:07Z`): when a run was
/// measured. Off a clock before 1970, the epoch.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

/// `secs` after the Unix epoch as RFC 3339 in UTC (the civil calendar from a day count,
/// after Howard Hinnant's `civil_from_days`).
fn utc(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_798_761_600), "2027-01-01T00:00:00Z");
        assert_eq!(utc(4_102_444_799), "2099-12-31T23:59:59Z");
        assert!(utc_now().starts_with("20"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn reads_this_process() {
        let before = footprint().expect("linux has /proc/self/status");
        assert!(before.rss_bytes > 0 && before.vm_size_bytes >= before.rss_bytes);
        // 64 MiB touched shows in the resident set (kept, in an optimized build too).
        let block = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = footprint().unwrap();
        assert!(
            after.rss_bytes >= before.rss_bytes + (60 << 20),
            "{before:?} {after:?}"
        );
        drop(block);
        assert!(max_map_count().is_some_and(|n| n > 0));
    }
}
