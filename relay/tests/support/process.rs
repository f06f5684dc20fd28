//! The `piazza-relay` binary as a process: started on loopback with extra flags, its
//! stdout lines (invites) handed over as they come, signals by `kill`.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use common::invite::Invite;

/// A relay process and the lines it printed after the default room's invite.
pub struct RelayProcess {
    pub child: Child,
    pub invite: Invite,
    pub lines: mpsc::Receiver<String>,
}

/// Starts the binary with `--listen listen --data-dir dir` and `args`; returns once it
/// printed the default room's invite.
pub fn spawn(dir: &Path, listen: &str, args: &[&str]) -> RelayProcess {
    spawn_with_env(dir, listen, args, &[])
}

/// [`spawn`], with `env` in the relay's environment only.
pub fn spawn_with_env(
    dir: &Path,
    listen: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> RelayProcess {
    let (child, invite, lines) = start_with_env(dir, listen, args, env);
    RelayProcess {
        child,
        invite,
        lines,
    }
}

/// [`spawn`], as its parts: the process (nobody kills it when it is dropped), the
/// default room's invite, the lines printed after it.
pub fn start(dir: &Path, listen: &str, args: &[&str]) -> (Child, Invite, mpsc::Receiver<String>) {
    start_with_env(dir, listen, args, &[])
}

fn start_with_env(
    dir: &Path,
    listen: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, Invite, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
        .args(["--listen", listen, "--data-dir"])
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let invite = loop {
        let line = lines.next().expect("relay printed its invite").unwrap();
        if let Some(rest) = line.strip_prefix("invite:") {
            break rest.trim().parse::<Invite>().unwrap();
        }
    };
    let (tx, rx) = mpsc::channel();
    // Keep draining stdout so the relay never blocks on it.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, invite, rx)
}

impl RelayProcess {
    /// Sends `signal` (`-KILL`, `-TERM`, `-HUP`) to the relay.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The invite printed as `invite NAME: …`, waiting for it a few seconds.
    pub fn invite_of(&self, name: &str) -> Invite {
        let prefix = format!("invite {name}:");
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("no invite for {name}"));
            if let Some(rest) = line.strip_prefix(&prefix) {
                return rest.trim().parse().unwrap();
            }
        }
    }

    /// Kills the relay and waits for it.
    pub fn kill(mut self) {
        self.signal("-KILL");
        self.child.wait().unwrap();
    }
}

impl Drop for RelayProcess {
    /// A test that fails leaves no relay running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `piazza-relay rooms ARGS --data-dir dir`: success, stdout and stderr.
pub fn rooms_command(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
        .arg("rooms")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A UDP port free on loopback now (for a relay whose address must be known before it
/// starts, as in `--advertise`).
pub fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}
