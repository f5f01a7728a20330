//! Random sequences of API calls (create, update, delete, re-create, downgrade, renew, purge,
//! clock moves) against the limit and lock rules, spoken over HTTP: no sequence ends with more
//! live, unlocked items in a month than the plan allows, a locked item readable, a locked item
//! deleted and back, or a new item refused while the month had room.
//!
//! The short run (a dozen sequences) is part of `cargo test`; `COFFER_LONG=1` (`make test-long`) runs 256
//! longer ones (`make test-long`).

mod support;

use coffer_api::*;
use coffer_server::clock::Clock;
use coffer_server::ratelimit::RateLimits;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use support::*;
use uuid::Uuid;

const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
enum Op {
    Create(KindClass, &'static str),
    /// `If-Match` on an id nobody wrote: never an insert.
    CreateWithIfMatch(KindClass, u64),
    /// Rewrites kind and month of an item (an index into what the sequence wrote).
    Update(usize, KindClass, &'static str),
    Delete(usize),
    /// Writes a tombstone again (`If-Match` on its revision).
    Recreate(usize),
    Downgrade,
    Renew,
    /// Past the grace period, with the jobs running.
    Purge,
    /// Days on, with the jobs running.
    Advance(i64),
}

fn kind() -> impl Strategy<Value = KindClass> {
    prop_oneof![Just(KindClass::Receipt), Just(KindClass::Document)]
}

fn month() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("2026-11"), Just("2019-01"), Just("2031-12")]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (kind(), month()).prop_map(|(k, m)| Op::Create(k, m)),
        1 => (kind(), 0..3u64).prop_map(|(k, r)| Op::CreateWithIfMatch(k, r)),
        2 => (any::<usize>(), kind(), month()).prop_map(|(i, k, m)| Op::Update(i, k, m)),
        2 => any::<usize>().prop_map(Op::Delete),
        2 => any::<usize>().prop_map(Op::Recreate),
        1 => Just(Op::Downgrade),
        1 => Just(Op::Renew),
        1 => Just(Op::Purge),
        1 => (1..40i64).prop_map(Op::Advance),
    ]
}

/// What the test knows of one item it wrote.
#[derive(Debug, Clone)]
struct Known {
    id: Uuid,
    revision: u64,
    deleted: bool,
    /// What it counts against: the server's month and the kind at its first commit.
    counted: Option<(String, KindClass)>,
    /// Deleted while locked: gone for good.
    final_delete: bool,
}

struct World<'a> {
    server: &'a InProcessServer,
    anon: Client,
    client: Client,
    refresh: String,
    account: Uuid,
    items: Vec<Known>,
    locked: HashSet<Uuid>,
    limits: PlanLimits,
}

impl World<'_> {
    fn month_now(&self) -> String {
        self.server
            .app
            .catalog
            .calendar
            .month_of(self.server.clock.unix())
    }

    async fn fresh_token(&mut self) {
        let pair: TokenPair = self
            .anon
            .post(
                routes::AUTH_REFRESH,
                &RefreshRequest {
                    refresh_token: self.refresh.clone(),
                },
            )
            .await
            .ok();
        self.refresh = pair.refresh_token;
        self.client = self.anon.with_token(&pair.access_token);
    }

    async fn advance(&mut self, days: i64) {
        // In steps the refresh token outlives (it lasts 30 days).
        let mut left = days;
        while left > 0 {
            let step = left.min(20);
            self.server.clock.advance(time::Duration::days(step));
            self.fresh_token().await;
            self.server.app.run_jobs().await.unwrap();
            left -= step;
        }
    }

    /// Live, unlocked items the test knows counting against `(month, kind)`.
    fn usage(&self, month: &str, kind: KindClass) -> u32 {
        self.items
            .iter()
            .filter(|k| !k.deleted && !self.locked.contains(&k.id))
            .filter(|k| k.counted.as_ref() == Some(&(month.to_owned(), kind)))
            .count() as u32
    }

    fn limit(&self, kind: KindClass) -> u32 {
        match kind {
            KindClass::Receipt => self.limits.receipts_per_month,
            KindClass::Document => self.limits.documents_per_month,
        }
    }

    fn pick(&self, index: usize) -> Option<usize> {
        (!self.items.is_empty()).then(|| index % self.items.len())
    }

    async fn apply(&mut self, op: &Op) {
        match op {
            Op::Create(kind, claimed) => {
                let month = self.month_now();
                let room = self.usage(&month, *kind) < self.limit(*kind);
                let (id, answer) = self.client.push(*kind, claimed).await;
                if room {
                    let item: Item = answer.ok();
                    self.items.push(Known {
                        id,
                        revision: item.revision,
                        deleted: false,
                        counted: Some((month, *kind)),
                        final_delete: false,
                    });
                } else {
                    assert_eq!(answer.error().code, ErrorCode::PlanLimitReached, "{op:?}");
                }
            }
            Op::CreateWithIfMatch(kind, revision) => {
                let write = item_write(*kind, "2026-11");
                let answer = self
                    .client
                    .put_item(Uuid::new_v4(), Some(*revision), &write, None)
                    .await;
                assert_eq!(answer.error().code, ErrorCode::PreconditionFailed);
            }
            Op::Update(index, kind, claimed) => {
                let Some(i) = self.pick(*index) else { return };
                let known = self.items[i].clone();
                let answer = self
                    .client
                    .put_item(
                        known.id,
                        Some(known.revision),
                        &item_write(*kind, claimed),
                        None,
                    )
                    .await;
                let expect_locked = self.locked.contains(&known.id) || known.final_delete;
                if expect_locked {
                    assert_eq!(answer.error().code, ErrorCode::ItemLocked, "{op:?}");
                } else if known.deleted {
                    // A write on a tombstone makes it live: the limit decides.
                    self.revived(i, answer);
                } else {
                    let item: Item = answer.ok();
                    self.items[i].revision = item.revision;
                }
            }
            Op::Delete(index) => {
                let Some(i) = self.pick(*index) else { return };
                let known = self.items[i].clone();
                let item: Item = self.client.delete_item(known.id, known.revision).await.ok();
                self.items[i].revision = item.revision;
                self.items[i].deleted = true;
                if self.locked.contains(&known.id) || known.final_delete {
                    self.items[i].final_delete = true;
                }
            }
            Op::Recreate(index) => {
                let Some(i) = self.pick(*index) else { return };
                let known = self.items[i].clone();
                if !known.deleted {
                    return;
                }
                let write = item_write(KindClass::Receipt, "2026-11");
                let answer = self
                    .client
                    .put_item(known.id, Some(known.revision), &write, None)
                    .await;
                if known.final_delete {
                    assert_eq!(answer.error().code, ErrorCode::ItemLocked, "{op:?}");
                } else {
                    self.revived(i, answer);
                }
            }
            Op::Downgrade => {
                self.server
                    .app
                    .downgrade(
                        self.account,
                        coffer_server::billing::DowngradeReason::Expired,
                    )
                    .await
                    .unwrap();
            }
            Op::Renew => {
                let until = self.server.clock.unix() + 30 * DAY;
                self.server
                    .app
                    .grant_plan(self.account, "plus", until)
                    .await
                    .unwrap();
            }
            Op::Purge => self.advance(61).await,
            Op::Advance(days) => self.advance(*days).await,
        }
    }

    /// The answer to writing item `i` over its tombstone.
    fn revived(&mut self, i: usize, answer: Answer) {
        let counted = self.items[i].counted.clone().unwrap();
        if self.usage(&counted.0, counted.1) < self.limit(counted.1) {
            let item: Item = answer.ok();
            self.items[i].revision = item.revision;
            self.items[i].deleted = false;
        } else {
            let error = answer.error();
            assert_eq!(error.code, ErrorCode::PlanLimitReached);
            assert_eq!(
                error.plan_limit.unwrap().month,
                counted.0,
                "the first commit's month"
            );
        }
    }

    /// Reads back what the server holds and checks every rule.
    async fn check(&mut self) {
        let key: EntitlementKey = self.client.get(routes::ENTITLEMENT_KEY).await.ok();
        let signed: SignedEntitlement = self.client.get(routes::ENTITLEMENT).await.ok();
        let e = signed.verify(&key).unwrap();
        self.limits = e.limits.clone();
        let (feed, _) = self.client.pull_all(0).await;
        let feed: HashMap<Uuid, Item> = feed.into_iter().map(|i| (i.id, i)).collect();
        // Tombstones past retention are gone; a write with their id is a new item.
        self.items.retain(|k| feed.contains_key(&k.id));
        for known in &mut self.items {
            let item = &feed[&known.id];
            // Purged by the jobs: deleted while locked.
            if item.deleted && !known.deleted && self.locked.contains(&known.id) {
                known.final_delete = true;
            }
            known.deleted = item.deleted;
            known.revision = item.revision;
        }
        self.locked = e.locked.iter().copied().collect();
        for id in &self.locked {
            let item = &feed[id];
            assert!(!item.deleted, "only live items are listed locked");
            assert!(item.envelope.is_none() && item.blobs.is_empty());
            let read = self.client.get(&routes::item(*id)).await;
            assert_eq!(read.error().code, ErrorCode::ItemLocked);
        }
        let mut per_month: HashMap<(String, KindClass), u32> = HashMap::new();
        for known in self.items.iter().filter(|k| !k.deleted) {
            assert!(!known.final_delete);
            if !self.locked.contains(&known.id) {
                *per_month.entry(known.counted.clone().unwrap()).or_default() += 1;
            }
        }
        for ((month, kind), n) in &per_month {
            assert!(n <= &self.limit(*kind), "{n} live {kind:?} in {month}");
        }
        let month = self.month_now();
        assert_eq!(e.usage.month, month);
        assert_eq!(e.usage.receipts, self.usage(&month, KindClass::Receipt));
        assert_eq!(e.usage.documents, self.usage(&month, KindClass::Document));
    }
}

async fn run(server: &InProcessServer, ops: Vec<Op>) {
    server
        .clock
        .set(time::OffsetDateTime::from_unix_timestamp(1_793_000_000).unwrap());
    let anon = Client::new(&server.url);
    let (client, session, _) = anon.new_account("laptop").await;
    let mut world = World {
        server,
        anon,
        client,
        refresh: session.refresh_token,
        account: session.account_id,
        items: vec![],
        locked: HashSet::new(),
        limits: server.app.catalog.free_plan().limits.clone(),
    };
    world.check().await;
    for op in &ops {
        world.apply(op).await;
        world.check().await;
    }
}

#[test]
fn no_sequence_of_calls_breaks_the_limits_or_opens_a_locked_item() {
    let long = coffer_testkit::long_run();
    let (cases, steps) = if long { (256, 60) } else { (12, 24) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = runtime.block_on(async {
        match std::env::var("COFFER_TEST_POSTGRES_URL") {
            Ok(_) => match Backend::postgres_s3("property").await {
                Some(Backend::PostgresS3 { database_url, .. }) => Some(database_url),
                _ => None,
            },
            Err(_) => None,
        }
    });
    let server = runtime.block_on(InProcessServer::start_with(
        dir.path(),
        InProcessOptions {
            plans: true,
            database_url: db,
            // Every case signs up and logs in from this one address at the same moment of the
            // test clock (256 of them in the long run): the rate limits have tests of their
            // own, and would only end the run here.
            rate_limits: Some(RateLimits {
                login_per_account_per_minute: 1_000_000,
                login_per_ip_per_minute: 1_000_000,
                register_per_address_per_hour: 1_000_000,
                register_per_ip_per_hour: 1_000_000,
                ..RateLimits::default()
            }),
            ..Default::default()
        },
    ));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..=steps), |ops| {
            runtime.block_on(run(&server, ops));
            Ok(())
        })
        .unwrap();
}

#[test]
fn an_if_match_insert_and_a_backdated_flood_stay_within_start() {
    // The attack of the issue, as a fixed sequence: every trick at once.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        let server = InProcessServer::start_with(
            dir.path(),
            InProcessOptions {
                plans: true,
                ..Default::default()
            },
        )
        .await;
        let mut ops = vec![];
        for _ in 0..8 {
            ops.push(Op::Create(KindClass::Receipt, "2019-01"));
            ops.push(Op::CreateWithIfMatch(KindClass::Receipt, 0));
        }
        // A tombstone cannot take back a place another item filled.
        let receipt = Op::Create(KindClass::Receipt, "2026-11");
        ops.extend([Op::Delete(0), receipt.clone(), Op::Recreate(0)]);
        ops.push(Op::Update(1, KindClass::Document, "2001-01"));
        // Three more on Plus; after the downgrade they are locked, and one deleted then stays
        // gone after the renewal.
        ops.extend([
            Op::Renew,
            receipt.clone(),
            receipt.clone(),
            receipt,
            Op::Downgrade,
        ]);
        ops.extend([Op::Delete(7), Op::Recreate(7), Op::Renew, Op::Recreate(7)]);
        ops.extend([Op::Downgrade, Op::Purge, Op::Recreate(6)]);
        run(&server, ops).await;
    });
}
