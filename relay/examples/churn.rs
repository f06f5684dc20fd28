//! Client churn for measuring the relay's memory (issue 12, item 4): sessions that join
//! and then leave properly, or vanish silently when the process is SIGKILLed (as a phone
//! that loses the network), and a sender that keeps the room busy meanwhile.
//!
//! ```text
//! churn INVITE join N HOLD_SECS     # N sessions, reading; after HOLD_SECS each leaves
//! churn INVITE send PER_SEC SECS    # one session sending 200-byte texts
//! ```
//!
//! A driver starts `piazza-relay`, runs rounds of `join` processes, kills some of them
//! with SIGKILL during their hold, and samples the relay's `VmRSS`.

use std::time::Duration;

use common::{
    invite::Invite,
    protocol::{ClientFrame, ClientMsgId, Hello, InstallId, ServerFrame, PROTOCOL_VERSION},
};

fn hello(name: String) -> Hello {
    Hello {
        version: PROTOCOL_VERSION,
        name,
        install: InstallId::random(),
        room_key: None,
        resume_after: None,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, invite, mode, a, b] = &args[..] else {
        anyhow::bail!("usage: churn INVITE (join N HOLD_SECS | send PER_SEC SECS)");
    };
    let invite: Invite = invite.parse()?;
    let (a, b): (u64, u64) = (a.parse()?, b.parse()?);
    let tag: u32 = rand::random();
    match mode.as_str() {
        "join" => {
            let mut sessions = Vec::new();
            for i in 0..a {
                let (conn, _) = net::open(&invite, hello(format!("c{tag:x}-{i}")))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let (connection, mut reader, writer) = conn.into_parts();
                let drain =
                    tokio::spawn(
                        async move { while reader.next::<ServerFrame>().await.is_ok() {} },
                    );
                sessions.push((connection, writer, drain));
            }
            println!("ready");
            tokio::time::sleep(Duration::from_secs(b)).await;
            for (_, writer, _) in &mut sessions {
                let _ = writer.write(&ClientFrame::Leave).await;
            }
            for (connection, _, drain) in sessions {
                let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                connection.close(0u32.into(), b"");
            }
        }
        "send" => {
            let install = InstallId::random();
            let mut h = hello(format!("sender{tag:x}"));
            h.install = install;
            let (conn, _) = net::open(&invite, h)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let (_connection, mut reader, mut writer) = conn.into_parts();
            tokio::spawn(async move { while reader.next::<ServerFrame>().await.is_ok() {} });
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / a as f64));
            let text = "x".repeat(200);
            for counter in 1..=a * b {
                tick.tick().await;
                let id = ClientMsgId { install, counter };
                let frame = ClientFrame::Send {
                    id,
                    text: text.clone(),
                };
                writer.write(&frame).await?;
            }
        }
        other => anyhow::bail!("unknown mode {other}"),
    }
    Ok(())
}
