//! The cores the load runs on (`--load-cpus`, as `taskset` takes them: `1`, `1,2`,
//! `2-5`) and pinning the load to them. The whole process is pinned once, at the start,
//! before any thread exists: every thread started later (each `--load-threads` runtime)
//! inherits the same list, and the kernel spreads them over it.

use std::{
    fmt,
    process::{Command, Stdio},
};

/// A list of cores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuList(pub Vec<usize>);

impl CpuList {
    /// How many cores the list names (at least 1, for shares of them).
    pub fn count(&self) -> usize {
        self.0.len().max(1)
    }
}

impl fmt::Display for CpuList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(usize::to_string).collect();
        f.write_str(&list.join(","))
    }
}

/// Parses `1`, `1,3`, `2-5` or a mix (`0,2-3`); duplicates are dropped.
pub fn parse(s: &str) -> Result<CpuList, String> {
    let mut cpus = Vec::new();
    for part in s.split(',').map(str::trim) {
        let num = |n: &str| {
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("not a core number: {n:?}"))
        };
        let range = match part.split_once('-') {
            Some((a, b)) => num(a)?..=num(b)?,
            None => num(part)?..=num(part)?,
        };
        if range.is_empty() {
            return Err(format!("an empty range of cores: {part:?}"));
        }
        cpus.extend(range);
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(CpuList(cpus))
}

/// Pins every thread of this process to `cpus` (threads started later inherit it).
pub fn pin_self(cpus: &CpuList) {
    let ok = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &cpus.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("warning: could not pin the load to cores {cpus} (taskset missing?)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges_parse_as_taskset_takes_them() {
        assert_eq!(parse("1"), Ok(CpuList(vec![1])));
        assert_eq!(parse("1,3"), Ok(CpuList(vec![1, 3])));
        assert_eq!(parse("0,2-4,3"), Ok(CpuList(vec![0, 2, 3, 4])));
        assert_eq!(parse("2-4").map(|l| l.to_string()), Ok("2,3,4".into()));
        assert!(parse("4-2").is_err());
        assert!(parse("a").is_err());
        assert!(parse("").is_err());
    }
}
