//! A 3-node nats-server cluster with JetStream on free loopback ports, for the tests of
//! the relay's `--cluster` logs: configs written in a temporary directory, servers
//! started as processes, ready once JetStream answers `$JS.API.INFO`, killed on drop.
//! No `nats-server` is a failure (install it with `scripts/setup.sh`), never a skip.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// One node: its config, client port and process.
pub struct Node {
    pub name: String,
    pub conf: PathBuf,
    pub port: u16,
    pub child: Option<Child>,
}

/// The cluster; its servers are killed when it is dropped.
pub struct NatsCluster {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    binary: PathBuf,
    user: Option<(String, String)>,
}

fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// The `nats-server` binary: `$NATS_SERVER`, on the `PATH`, or Debian's `/usr/sbin`.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "NATS_SERVER={} is not a file",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/usr/bin".into()]);
    for dir in dirs {
        let candidate = dir.join("nats-server");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "nats-server is not installed: the cluster tests need it (run scripts/setup.sh, \
         or apt-get install nats-server; or set NATS_SERVER to its path)"
    );
}

impl NatsCluster {
    /// Writes the configs of three nodes and starts them; returns once JetStream
    /// answers (a fresh cluster takes about 10 s).
    pub async fn start() -> Self {
        Self::start_with("", None).await
    }

    /// Like [`NatsCluster::start`], each node's config ending with `extra` (an
    /// `authorization { … }` block, say); `user` and password for the helper's own
    /// client.
    pub async fn start_with(extra: &str, user: Option<(&str, &str)>) -> Self {
        let binary = binary();
        let dir = tempfile::tempdir().unwrap();
        let clients: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for i in 0..3 {
            let name = format!("n{}", i + 1);
            let others: Vec<String> = (0..3)
                .filter(|j| *j != i)
                .map(|j| format!("    nats-route://127.0.0.1:{}", routes[j]))
                .collect();
            let conf = format!(
                "server_name: {name}\nlisten: 127.0.0.1:{client}\n\
                 jetstream {{\n  store_dir: \"{store}\"\n  max_memory_store: 64MB\n  \
                 max_file_store: 1GB\n}}\n\
                 cluster {{\n  name: piazza-test\n  listen: 127.0.0.1:{route}\n  \
                 routes: [\n{others}\n  ]\n}}\n{extra}\n",
                client = clients[i],
                route = routes[i],
                store = dir.path().join(&name).display(),
                others = others.join("\n"),
            );
            let path = dir.path().join(format!("{name}.conf"));
            std::fs::write(&path, conf).unwrap();
            nodes.push(Node {
                name,
                conf: path,
                port: clients[i],
                child: None,
            });
        }
        let user = user.map(|(u, p)| (u.to_owned(), p.to_owned()));
        let mut cluster = Self {
            dir,
            nodes,
            binary,
            user,
        };
        for i in 0..3 {
            cluster.start_node(i);
        }
        cluster.ready().await;
        cluster
    }

    /// Starts node `i` (again), its log in the cluster's directory.
    pub fn start_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let log = std::fs::File::create(self.dir.path().join(format!("{}.log", node.name)));
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&node.conf)
            .stdout(Stdio::null())
            .stderr(log.unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        node.child = Some(child);
    }

    /// kill -9 of node `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The index of the node leading `stream`.
    pub async fn stream_leader(&self, stream: &str) -> usize {
        let js = async_nats::jetstream::new(self.client().await);
        let mut stream = js.get_stream(stream).await.unwrap();
        let info = stream.info().await.unwrap();
        let leader = info.cluster.as_ref().and_then(|c| c.leader.clone());
        self.index(&leader.expect("the stream has a leader"))
    }

    /// The index of the node named `name`.
    pub fn index(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).unwrap()
    }

    /// `nats://127.0.0.1:port` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect()
    }

    /// A client of the cluster (retrying while it starts).
    pub async fn client(&self) -> async_nats::Client {
        let addrs: Vec<async_nats::ServerAddr> =
            self.urls().iter().map(|u| u.parse().unwrap()).collect();
        let mut options = async_nats::ConnectOptions::new();
        if let Some((user, password)) = &self.user {
            options = options.user_and_password(user.clone(), password.clone());
        }
        options
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(2))
            .connect(addrs)
            .await
            .unwrap()
    }

    /// Waits (60 s at most) until JetStream answers `$JS.API.INFO` without an error.
    async fn ready(&self) {
        let client = self.client().await;
        let start = Instant::now();
        loop {
            if let Ok(m) = client.request("$JS.API.INFO", "".into()).await {
                if !String::from_utf8_lossy(&m.payload).contains("\"error\"") {
                    return;
                }
            }
            if start.elapsed() > Duration::from_secs(60) {
                let logs = std::fs::read_to_string(self.dir.path().join("n1.log"));
                panic!(
                    "JetStream not ready after 60 s; n1's log:\n{}",
                    logs.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}
