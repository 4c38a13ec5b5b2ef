//! The process's memory as the kernel counts it: peak (VmHWM) and current (VmRSS)
//! resident set, which is what a machine's memory limit bites on, allocator slack and
//! all. Linux only; elsewhere the figures are absent rather than guessed.

use serde::Serialize;

/// Resident memory in bytes at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Memory {
    /// Highest resident set so far (VmHWM); it never goes down.
    pub peak_bytes: Option<u64>,
    /// Resident set now (VmRSS).
    pub rss_bytes: Option<u64>,
}

impl Memory {
    pub fn now() -> Self {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            return Self::default();
        };
        Self { peak_bytes: field(&status, "VmHWM:"), rss_bytes: field(&status, "VmRSS:") }
    }
}

/// A `Name:   1234 kB` line of /proc/self/status, in bytes.
fn field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let mut words = line[name.len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kilobyte_lines() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\n";
        assert_eq!(field(status, "VmHWM:"), Some(2048 * 1024));
        assert_eq!(field(status, "VmRSS:"), Some(1024 * 1024));
        assert_eq!(field(status, "VmSwap:"), None);
    }
}
