//! A cluster to load (`--cluster-relays N`): a 3-node nats-server cluster with
//! JetStream on loopback (the relay tests' helper, `relay/tests/support/nats.rs`), and
//! N relays on it sharing one certificate. The relays and the nats-server nodes are
//! pinned to the relay's core (`--relay-cpu`; `--nats-cpu` moves the nodes), so the
//! whole server side shares what one relay alone had.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::relay::{RelayProcess, StartOpts};

#[allow(dead_code)] // The tests' helper; the bench uses part of it.
#[path = "../../tests/support/nats.rs"]
mod nats;

/// The relays and the nats-server nodes of a cluster; all stopped when dropped.
pub struct Cluster {
    /// The relays (the first one's certificate is everyone's).
    pub relays: Vec<RelayProcess>,
    nats: nats::NatsCluster,
}

impl Cluster {
    /// Starts the nats-server nodes on `nats_cpu` and `relays` relays with `opts`
    /// (their core, flags) on them.
    pub async fn start(relays: usize, opts: &StartOpts, nats_cpu: usize) -> Result<Self> {
        if relays == 0 {
            bail!("a cluster needs at least one relay");
        }
        let nats = nats::NatsCluster::start().await;
        for node in &nats.nodes {
            let pid = node.child.as_ref().map(|c| c.id()).context("a node")?;
            let pinned = Command::new("taskset")
                .args(["-a", "-pc", &nats_cpu.to_string(), &pid.to_string()])
                .stdout(std::process::Stdio::null())
                .status()
                .context("taskset")?;
            if !pinned.success() {
                bail!("could not pin nats-server {pid} to core {nats_cpu}");
            }
        }
        let urls = nats.urls().join(",");
        let mut started: Vec<RelayProcess> = Vec::new();
        for _ in 0..relays {
            let mut args = vec!["--cluster".to_string(), urls.clone()];
            if let Some(first) = started.first() {
                for (flag, file) in [("--cert", "cert.pem"), ("--key", "key.pem")] {
                    args.push(flag.into());
                    args.push(first.dir().join(file).display().to_string());
                }
            }
            args.extend(opts.args.iter().cloned());
            started.push(RelayProcess::start(&StartOpts {
                bin: opts.bin.clone(),
                cpu: opts.cpu,
                env: opts.env.clone(),
                args,
            })?);
        }
        Ok(Self {
            relays: started,
            nats,
        })
    }

    /// The nats-server nodes' pids.
    pub fn nats_pids(&self) -> impl Iterator<Item = u32> + '_ {
        self.nats
            .nodes
            .iter()
            .filter_map(|n| n.child.as_ref().map(|c| c.id()))
    }
}
