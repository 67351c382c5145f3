//! The outcome store: resolution history reorders close matches and nothing more; texts
//! that matched nothing group into templates; a drafted pack matches them; the SQLite file
//! survives a killed writer, concurrent writers and bad files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use fixbook::outcomes::{Feedback, GapsQuery, OutcomeOptions, Resolution};
use fixbook::{Engine, ErrorKind, Query};

const IDP: &str = "aws-iam-identity-center/external-idp-unexpected-error";
const MFA: &str = "aws-iam-identity-center/authenticator-app-unexpected-error";
const SHARED_MESSAGE: &str = "An unexpected error has occurred";

/// A fresh folder under the system's temporary folder, removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "fixbook-outcomes-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_store(db: &Path) -> Engine {
    Engine::builder()
        .outcomes(db)
        .build()
        .expect("engine with a store")
}

fn report(engine: &Engine, entry: &str, resolved: usize, not_resolved: usize) {
    for i in 0..resolved + not_resolved {
        let r = if i < resolved {
            Resolution::Resolved
        } else {
            Resolution::NotResolved
        };
        engine.feedback(&Feedback::new(entry, r, "test")).unwrap();
    }
}

fn ids(engine: &Engine, text: &str) -> Vec<String> {
    engine
        .search(text, 10)
        .matches
        .into_iter()
        .map(|m| m.id)
        .collect()
}

#[test]
fn history_favouring_one_of_two_entries_sharing_a_message_ranks_it_first_and_says_why() {
    let dir = TempDir::new("rank");
    let engine = with_store(&dir.path("o.db"));
    let before = ids(&engine, SHARED_MESSAGE);
    let (pos_idp, pos_mfa) = (
        before
            .iter()
            .position(|i| i == IDP)
            .expect("both entries match"),
        before
            .iter()
            .position(|i| i == MFA)
            .expect("both entries match"),
    );
    // favour the one the engine ranks lower on its own
    let (winner, loser) = if pos_idp < pos_mfa {
        (MFA, IDP)
    } else {
        (IDP, MFA)
    };
    report(&engine, winner, 46, 24);
    report(&engine, loser, 6, 24);
    let after = ids(&engine, SHARED_MESSAGE);
    assert_eq!(after[0], winner, "before: {before:?}, after: {after:?}");
    let mut same = after.clone();
    same.sort();
    let mut was = before.clone();
    was.sort();
    assert_eq!(
        same, was,
        "history reorders matches, it does not add or remove any"
    );

    let d = engine
        .diagnose(&Query::new(SHARED_MESSAGE).with_trace())
        .unwrap();
    let trace = d.trace.unwrap();
    let w = trace.candidates.iter().find(|c| c.id == winner).unwrap();
    let prior = w.prior.as_ref().expect("the trace shows the prior");
    assert_eq!(prior.resolved, 46);
    assert_eq!(prior.linked, 70);
    assert!(prior.adjustment > 0.0);
    assert!(
        prior.note.starts_with("resolved 46 of 70 times: +"),
        "{}",
        prior.note
    );
    let l = trace.candidates.iter().find(|c| c.id == loser).unwrap();
    assert!(l.prior.as_ref().unwrap().adjustment < 0.0);

    // a far better match is not overturned: the Okta text stays with the identity provider
    report(&engine, MFA, 500, 0);
    report(&engine, IDP, 0, 500);
    assert_eq!(
        ids(
            &engine,
            "An unexpected error has occurred after Okta sign-in"
        )[0],
        IDP
    );
}

/// Every text of the query corpus and of the packs' examples, with the facts it is asked with.
fn all_queries() -> Vec<Query> {
    let mut out = Vec::new();
    for line in include_str!("data/dev-queries.jsonl").lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        out.push(Query::new(v["q"].as_str().unwrap()).limit(10));
    }
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs");
    for e in std::fs::read_dir(&packs).unwrap() {
        let dir = e.unwrap().path();
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        for ex in fixbook::testing::load_examples(&dir, &id).unwrap() {
            let mut q = Query::new(ex.text).with_trace();
            q.facts = ex.facts;
            q.drafts = true;
            out.push(q);
        }
    }
    out
}

#[test]
fn without_outcomes_answers_are_unchanged() {
    let dir = TempDir::new("same");
    let plain = Engine::builder().build().unwrap();
    let stored = with_store(&dir.path("o.db"));
    let queries = all_queries();
    assert!(queries.len() > 300, "{} queries", queries.len());
    for q in &queries {
        let a = serde_json::to_value(plain.diagnose(q).unwrap()).unwrap();
        let b = serde_json::to_value(stored.diagnose(q).unwrap()).unwrap();
        assert_eq!(a, b, "answers differ for {:?}", q.text);
    }
    // and the packs' own tests give the same results
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs");
    for e in std::fs::read_dir(&packs).unwrap() {
        let dir = e.unwrap().path();
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ex = fixbook::testing::load_examples(&dir, &id).unwrap();
        let a: Vec<_> = fixbook::testing::run_examples(&plain, &id, &ex)
            .iter()
            .map(|o| serde_json::to_value(o).unwrap())
            .collect();
        let b: Vec<_> = fixbook::testing::run_examples(&stored, &id, &ex)
            .iter()
            .map(|o| serde_json::to_value(o).unwrap())
            .collect();
        assert_eq!(a, b, "pack tests of {id} differ");
    }
}

#[test]
fn no_quantity_of_outcomes_lifts_an_unrelated_text_over_the_floor() {
    let dir = TempDir::new("floor");
    let engine = with_store(&dir.path("o.db"));
    let mut unrelated: Vec<String> = Vec::new();
    for line in include_str!("data/dev-queries.jsonl").lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["expect"].is_null() {
            unrelated.push(v["q"].as_str().unwrap().to_owned());
        }
    }
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs");
    for e in std::fs::read_dir(&packs).unwrap() {
        let dir = e.unwrap().path();
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        for ex in fixbook::testing::load_examples(&dir, &id).unwrap() {
            // a pack's negative example may belong to another pack: keep the ones nothing
            // matches
            if ex.expect_none && ex.facts.is_empty() && ids(&engine, &ex.text).is_empty() {
                unrelated.push(ex.text);
            }
        }
    }
    unrelated.push("the invoice from user@example.com is missing a line".into());
    assert!(unrelated.len() > 10);
    for t in &unrelated {
        assert!(ids(&engine, t).is_empty(), "{t:?} matches without history");
    }
    // four rounds, each on a new store: a quarter of the entries resolve every time and the
    // rest never, so every entry in turn gets the largest lift there is (the cap)
    let all = engine.entry_ids();
    let mut largest = 0.0_f32;
    for round in 0..4 {
        let engine = with_store(&dir.path(&format!("round{round}.db")));
        for (i, e) in all.iter().enumerate() {
            if i % 4 == round {
                report(&engine, e, 60, 0);
            } else {
                report(&engine, e, 0, 60);
            }
        }
        for t in &unrelated {
            let d = engine
                .diagnose(&Query::new(t.as_str()).with_trace())
                .unwrap();
            assert!(d.matches.is_empty(), "{t:?} matches after round {round}");
        }
        let d = engine
            .diagnose(&Query::new(SHARED_MESSAGE).with_trace())
            .unwrap();
        for c in d.trace.unwrap().candidates {
            if let Some(p) = c.prior {
                largest = largest.max(p.adjustment);
            }
        }
    }
    assert_eq!(
        largest,
        fixbook::outcomes::prior::CAP,
        "the lift reached its cap"
    );
}

/// A small deterministic generator (no randomness in tests).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

/// Texts from five templates (id, e-mail, IP, UUID, time and word parts varying) with the
/// template each should group into and how many of each.
fn generated() -> (Vec<String>, BTreeMap<String, usize>) {
    let mut g = Lcg(17);
    let mut texts = Vec::new();
    let mut expected = BTreeMap::new();
    let names = ["alice", "bob", "carol", "dave", "erin"];
    let teams = ["blue", "green", "red"];
    let plan: [(usize, &str); 5] = [
        (
            40,
            "badge reader at door <*> rejected card {number} for {email}",
        ),
        (25, "replica lag on {ip} reached <*> seconds at {timestamp}"),
        (12, "print job {uuid} stuck in queue of team <*>"),
        (
            7,
            "vpn tunnel to {ip} dropped after {timestamp} for {email}",
        ),
        (3, "coffee machine on floor <*> reports descaling needed"),
    ];
    for (n, template) in plan {
        expected.insert(template.to_owned(), n);
        for _ in 0..n {
            let user = format!("{}.{}@corp.example", g.pick(&names), g.next() % 1000);
            let ip = format!(
                "10.{}.{}.{}",
                g.next() % 256,
                g.next() % 256,
                g.next() % 256
            );
            let ts = format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}Z",
                1 + g.next() % 28,
                g.next() % 24,
                g.next() % 60,
                g.next() % 60
            );
            let uuid = format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                g.next() as u32,
                g.next() % 0xffff,
                g.next() % 0xfff,
                g.next() % 0xfff,
                (g.next() << 17 | g.next()) % 0xffff_ffff_ffff
            );
            let t = match template.split(' ').next().unwrap() {
                "badge" => format!(
                    "badge reader at door {} rejected card {} for {user}",
                    g.next() % 40,
                    1_000_000 + g.next() % 9_000_000
                ),
                "replica" => format!(
                    "replica lag on {ip} reached {} seconds at {ts}",
                    1 + g.next() % 99
                ),
                "print" => format!("print job {uuid} stuck in queue of team {}", g.pick(&teams)),
                "vpn" => format!("vpn tunnel to {ip} dropped after {ts} for {user}"),
                _ => format!(
                    "coffee machine on floor {} reports descaling needed",
                    1 + g.next() % 9
                ),
            };
            texts.push(t);
        }
    }
    // interleaved, as they would arrive
    let mut order: Vec<usize> = (0..texts.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (g.next() as usize) % (i + 1));
    }
    (
        order.into_iter().map(|i| texts[i].clone()).collect(),
        expected,
    )
}

#[test]
fn unmatched_texts_group_into_exactly_their_templates_and_a_draft_matches_them() {
    let dir = TempDir::new("gaps");
    let engine = Engine::builder()
        .outcomes(dir.path("o.db"))
        .outcome_options(OutcomeOptions {
            keep_text: true,
            ..OutcomeOptions::default()
        })
        .build()
        .unwrap();
    let (texts, expected) = generated();
    for t in &texts {
        assert!(
            engine.search(t, 5).matches.is_empty(),
            "{t:?} matched a shipped entry"
        );
    }
    let gaps = engine.gaps(&GapsQuery::default()).unwrap();
    let got: BTreeMap<String, usize> = gaps
        .iter()
        .map(|g| (g.template.clone(), g.count as usize))
        .collect();
    assert_eq!(got, expected);
    let counts: Vec<u64> = gaps.iter().map(|g| g.count).collect();
    assert_eq!(counts, vec![40, 25, 12, 7, 3], "biggest first");
    for g in &gaps {
        assert!(!g.examples.is_empty() && g.examples.len() <= 3);
        assert!(g.first_seen <= g.last_seen);
        for ex in &g.examples {
            assert!(texts.contains(ex), "kept whole: {ex}");
        }
    }
    assert!(engine
        .gaps(&GapsQuery {
            since: Some(fixbook::outcomes::now() + 3600),
            limit: None
        })
        .unwrap()
        .is_empty());

    // the draft: one entry per template, matching every text it was drafted from
    let pack = dir.path("drafted");
    let drafted = fixbook::outcomes::draft::draft(&gaps, &pack).unwrap();
    assert_eq!(drafted.entries.len(), 5);
    let loaded = Engine::builder()
        .builtin(false)
        .pack_dir(&pack)
        .strict(true)
        .build()
        .expect("the draft loads in strict mode");
    let ex = fixbook::testing::load_examples(&pack, &drafted.pack).unwrap();
    let results = fixbook::testing::run_examples(&loaded, &drafted.pack, &ex);
    assert!(
        results.iter().all(|r| r.problems.is_empty()),
        "{results:#?}"
    );
    let entry_of: BTreeMap<&str, &str> = drafted
        .entries
        .iter()
        .map(|(id, t)| (t.as_str(), id.as_str()))
        .collect();
    for t in &texts {
        let mut q = Query::new(t.as_str());
        q.drafts = true;
        let d = loaded.diagnose(&q).unwrap();
        let template = expected
            .keys()
            .find(|k| k.split(' ').next() == t.split(' ').next())
            .unwrap();
        assert_eq!(
            d.matches.first().map(|m| m.id.as_str()),
            Some(entry_of[template.as_str()]),
            "{t}"
        );
    }
}

#[test]
fn texts_are_stored_masked_unless_asked_and_old_rows_expire() {
    let dir = TempDir::new("mask");
    let db = dir.path("o.db");
    let engine = with_store(&db);
    engine.search(
        "quota of team blue exceeded by ann@corp.example from 10.1.2.3",
        5,
    );
    let gaps = engine.gaps(&GapsQuery::default()).unwrap();
    assert_eq!(
        gaps[0].examples,
        vec!["quota of team blue exceeded by {email} from {ip}"]
    );
    let raw = std::fs::read(&db).unwrap();
    let wal = std::fs::read(dir.path("o.db-wal")).unwrap_or_default();
    for bytes in [raw, wal] {
        assert!(
            !bytes.windows(8).any(|w| w == b"ann@corp"),
            "the e-mail address is in the file"
        );
    }
    // a report dated past the retention period is gone at the next open
    let mut old = Feedback::new(IDP, Resolution::Resolved, "test");
    old.at = Some(fixbook::outcomes::now() - 200 * 86_400);
    engine.feedback(&old).unwrap();
    assert_eq!(engine.outcome_store().unwrap().counts().unwrap().0, 1);
    drop(engine);
    let again = with_store(&db);
    assert_eq!(again.outcome_store().unwrap().counts().unwrap().0, 0);
}

// ---- durability -------------------------------------------------------------------------

/// Runs this test binary again as a writer: `mode` is `burst:N` (write N rows from 4
/// threads and exit) or `endless` (write until killed). Each committed row is printed
/// as `COMMITTED <ticket>`.
fn writer(db: &Path, mode: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FIXBOOK_OUTCOMES_CHILD_DB", db)
        .env("FIXBOOK_OUTCOMES_CHILD_MODE", mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The writer process (run only by [`writer`]).
#[test]
#[ignore = "run by the durability tests in a child process"]
fn child_writer() {
    let Some(db) = std::env::var_os("FIXBOOK_OUTCOMES_CHILD_DB") else {
        return;
    };
    let mode = std::env::var("FIXBOOK_OUTCOMES_CHILD_MODE").unwrap();
    let per_thread = match mode.strip_prefix("burst:") {
        Some(n) => n.parse::<usize>().unwrap() / 4,
        None => usize::MAX,
    };
    let engine = with_store(Path::new(&db));
    let tag = std::process::id();
    std::thread::scope(|s| {
        for t in 0..4 {
            let engine = &engine;
            s.spawn(move || {
                for i in 0..per_thread {
                    let mut fb = Feedback::new(IDP, Resolution::Resolved, "test");
                    fb.ticket = Some(format!("{tag}-{t}-{i}"));
                    fb.text = Some(format!("sign-in failed for user{i}@example.com"));
                    engine.feedback(&fb).unwrap();
                    use std::io::Write as _;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "COMMITTED {tag}-{t}-{i}").unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

fn tickets(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mut st = c.prepare("SELECT ticket FROM feedback").unwrap();
    st.query_map([], |r| r.get::<_, Option<String>>(0))
        .unwrap()
        .map(|t| t.unwrap().unwrap_or_default())
        .collect()
}

#[test]
fn a_writer_killed_mid_burst_loses_no_committed_outcome() {
    let dir = TempDir::new("kill");
    let db = dir.path("o.db");
    drop(with_store(&db)); // created before the writer starts
    let mut child = writer(&db, "endless");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = Vec::new();
    while committed.len() < 300 {
        let line = lines.next().expect("the writer is writing").unwrap();
        // the test harness may print its own words before the first line
        if let Some((_, t)) = line.split_once("COMMITTED ") {
            committed.push(t.to_owned());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // whatever it printed before it died was committed
    committed.extend(
        lines
            .map_while(Result::ok)
            .filter_map(|l| l.split_once("COMMITTED ").map(|(_, t)| t.to_owned())),
    );
    let stored = tickets(&db);
    for t in &committed {
        assert!(stored.contains(t), "committed {t} is lost");
    }
    // the file opens and takes writes again
    let engine = with_store(&db);
    report(&engine, IDP, 1, 0);
    assert_eq!(tickets(&db).len(), stored.len() + 1);
}

#[test]
fn two_processes_writing_at_once_both_succeed() {
    let dir = TempDir::new("two");
    let db = dir.path("o.db");
    let a = writer(&db, "burst:400");
    let b = writer(&db, "burst:400");
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("COMMITTED "))
            .count();
        assert_eq!(n, 400);
    }
    assert_eq!(tickets(&db).len(), 800);
}

#[test]
fn a_bad_file_is_a_clear_error_not_a_crash() {
    let dir = TempDir::new("bad");
    let open = |p: &Path| Engine::builder().outcomes(p).build().map(|_| ());

    let junk = dir.path("junk.db");
    std::fs::write(&junk, b"GIF89a not a database at all \x00\xff".repeat(300)).unwrap();
    let e = open(&junk).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Outcomes);
    assert!(e.to_string().contains("not an SQLite database"), "{e}");
    assert!(e.to_string().contains("junk.db"), "{e}");

    let foreign = dir.path("crm.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
        .unwrap();
    let e = open(&foreign).unwrap_err();
    assert!(e.to_string().contains("another program"), "{e}");

    let newer = dir.path("newer.db");
    drop(with_store(&newer));
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let e = open(&newer).unwrap_err();
    assert!(e.to_string().contains("newer fixbook"), "{e}");

    // a store whose pages were overwritten: an error when it is noticed, never a panic
    let damaged = dir.path("damaged.db");
    {
        let engine = with_store(&damaged);
        report(&engine, IDP, 300, 300);
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    assert!(bytes.len() > 8192, "{} bytes", bytes.len());
    for b in &mut bytes[4096..] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let _ = std::fs::remove_file(dir.path("damaged.db-wal"));
    match Engine::builder().outcomes(&damaged).build() {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Outcomes);
            assert!(e.to_string().contains("damaged"), "{e}");
        }
        Ok(engine) => {
            let e = engine
                .feedback(&Feedback::new(IDP, Resolution::Resolved, "test"))
                .and_then(|_| engine.gaps(&GapsQuery::default()).map(|_| 0))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Outcomes, "{e}");
            // queries still get answers
            assert!(!engine.search(SHARED_MESSAGE, 5).matches.is_empty());
        }
    }

    let e = open(&dir.path("no-such-folder/o.db")).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    let e = open(&dir.0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Outcomes, "{e}");
}

#[test]
fn a_provisional_miss_is_not_a_content_gap_and_a_final_one_is() {
    let dir = TempDir::new("provisional");
    let engine = with_store(&dir.path("o.db"));
    let text = "the label printer in room 4 prints blank pages";
    let mut q = Query::new(text);
    q.provisional = true;
    assert!(engine.diagnose(&q).unwrap().matches.is_empty());
    let gaps = engine.gaps(&GapsQuery::default()).unwrap();
    assert!(
        gaps.is_empty(),
        "a text still being typed was recorded: {gaps:?}"
    );
    q.provisional = false;
    engine.diagnose(&q).unwrap();
    let gaps = engine.gaps(&GapsQuery::default()).unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].count, 1);
}
