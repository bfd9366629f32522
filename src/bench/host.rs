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

#[cfg(test)]
mod tests {
    use super::*;

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
