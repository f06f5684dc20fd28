//! Older events on request (`History`) and long resumes: every seq once, every frame
//! decodable, a flood of requests slowed down without ending the session.

mod support;

use std::collections::BTreeSet;

use common::protocol::*;
use relay::RelayConfig;
use support::*;

fn fast(dir: &std::path::Path) -> RelayConfig {
    let mut config = RelayConfig::for_tests(dir);
    config.limits.rate = RateLimit {
        per_second: 100_000,
        burst: 100_000,
    };
    config
}

/// Sends `n` texts from `client` (cycling through `texts`) and waits for every ack.
async fn fill(client: &mut Client, n: usize, texts: &[&str]) -> Vec<Seq> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(client.say(texts[i % texts.len()]).await);
    }
    client
        .outcomes(&ids)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

async fn page(client: &mut Client, before: Seq, limit: u32) -> HistoryPage {
    let room = client.room;
    client
        .send_frame(&ClientFrame::History {
            room,
            before,
            limit,
        })
        .await;
    loop {
        match client.next().await {
            Some(ServerFrame::History { room: r, page }) if r == room => return page,
            Some(_) => continue,
            None => panic!("no history page"),
        }
    }
}

#[tokio::test]
async fn paging_back_through_two_thousand_messages_gives_every_seq_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(fast(dir.path())).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    fill(&mut a, 2000, &["ok", "ciao", "una frase un po' più lunga"]).await;
    let (mut b, w) = join(&invite, "Bruno").await;

    let mut seen = Vec::new();
    let mut before = w.last_seq + 1;
    loop {
        let p = page(&mut b, before, MAX_HISTORY_PAGE).await;
        assert!(!p.retry_later);
        assert_eq!(p.before, before);
        assert!(p.events.len() <= MAX_HISTORY_PAGE as usize);
        assert!(
            p.events.windows(2).all(|e| e[0].seq < e[1].seq),
            "oldest first"
        );
        assert!(p.events.iter().all(|e| e.seq < before));
        seen.extend(p.events.iter().rev().map(|e| e.seq));
        match p.events.first() {
            Some(first) if p.more => before = first.seq,
            _ => break,
        }
    }
    seen.reverse();
    let log: Vec<Seq> = read_log(&invite)
        .await
        .iter()
        .map(|e| e.seq)
        .filter(|s| *s <= w.last_seq)
        .collect();
    assert_eq!(seen, log, "every seq once, none missing, none repeated");
    relay.shutdown().await;
}

#[tokio::test]
async fn a_flood_of_history_requests_is_told_to_retry_later_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(fast(dir.path())).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    fill(&mut a, 50, &["ciao"]).await;
    const N: usize = 200;
    for _ in 0..N {
        a.send_frame(&ClientFrame::History {
            room: a.room,
            before: Seq::MAX,
            limit: 10,
        })
        .await;
    }
    let mut served = 0;
    let mut later = 0;
    while served + later < N {
        match a.next().await {
            Some(ServerFrame::History { page: p, .. }) if p.retry_later => {
                assert!(p.events.is_empty());
                later += 1;
            }
            Some(ServerFrame::History { page: p, .. }) => {
                assert_eq!(p.events.len(), 10);
                served += 1;
            }
            Some(_) => {}
            None => panic!("the session ended after {served} pages, {later} refusals"),
        }
    }
    assert!(later > 0, "some requests must be told to retry later");
    assert!(served > 0);
    let id = a.say("ancora qui").await;
    assert!(a.ack_of(id).await.is_ok(), "the session goes on");
    relay.shutdown().await;
}

/// Issue 12, item 1: a resume after seq 1 into 2,000 short texts used to get a welcome
/// the client could not decode.
#[tokio::test]
async fn resuming_after_seq_one_into_two_thousand_short_texts_decodes_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(fast(dir.path())).await;
    let invite = relay.invite();
    let install = InstallId::random();
    let (mut a, _) = join_as(&invite, "Anna", install, None).await;
    a.quit().await;
    a.drain().await;
    let (mut b, _) = join(&invite, "Bruno").await;
    fill(&mut b, 2000, &["ok", "ciao"]).await;

    let (mut back, w) = join_as(&invite, "Anna", install, Some(1)).await;
    assert!(!w.gap);
    let mut seqs: Vec<Seq> = w.backlog.iter().map(|e| e.seq).collect();
    while seqs.last().is_some_and(|s| *s < w.last_seq) {
        match back.next().await {
            Some(ServerFrame::Event { event, .. }) => seqs.push(event.seq),
            Some(ServerFrame::Members { .. }) => {}
            Some(other) => panic!("unexpected {other:?}"),
            None => panic!("the replay stopped at {:?}", seqs.last()),
        }
    }
    let unique: BTreeSet<Seq> = seqs.iter().copied().collect();
    assert_eq!(unique.len(), seqs.len(), "no event twice");
    let log: Vec<Seq> = read_log(&invite)
        .await
        .iter()
        .map(|e| e.seq)
        .filter(|s| *s > 1 && *s <= w.last_seq)
        .collect();
    assert_eq!(seqs, log);
    relay.shutdown().await;
}
