//! TUI performance: drawing the play screen with a 300-line mixed Chinese/English transcript at
//! 200×60 (target ≤ 2 ms per frame), and start-up to the first frame with 250 scripts in the
//! library (target ≤ 150 ms).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use socius::driver::Replay;
use socius::script::load::{Script, load_str};
use socius::tui::app::{App, Options};
use socius::tui::i18n::Lang;
use socius::tui::play::{Mode, Play};
use socius::tui::theme::Theme;
use socius::tui::views::{Ctx, play};

// The TUI tests' harness (a port that stores nothing, the loop on TestBackend), shared.
#[path = "../tests/common/mod.rs"]
mod common;

/// A tree whose first node has 300 lines alternating Chinese, English and mixed text.
fn long_tree() -> socius::script::WorldTree {
    let mut y = String::from(
        "kind: world_tree\nid: bench\ntitle: Bench\nlanguage: zh\norientation: cooperation\n\
         scenario: 一个用于基准测试的场景 with some English words mixed in.\n\
         characters:\n- {name: 林雨, role: protagonist, public_profile: 学生, goal: 通过考试}\n\
         - {name: Sam, role: supporting, public_profile: A classmate from Leeds.}\n\
         nodes:\n- id: start\n  type: beginning\n  lines:\n",
    );
    for i in 0..300 {
        let _ = match i % 3 {
            0 => writeln!(
                y,
                "  - {{speaker: 林雨, text: \"第{i}句：我们明天下午在图书馆三楼见面，一起把第三章的习题做完，好吗？如果你有空的话。\"}}"
            ),
            1 => writeln!(
                y,
                "  - {{speaker: Sam, text: \"Line {i}: sure, but I have a seminar until four, so let's say half past four by the window seats?\"}}"
            ),
            _ => writeln!(
                y,
                "  - {{narration: \"第{i}行：她打开 MacBook Pro 看了一眼 deadline，又看了看窗外的雨 and sighed quietly.\"}}"
            ),
        };
    }
    y.push_str(
        "  choices:\n  - {target: a, say: {speaker: 林雨, text: 好的}}\n  - {target: b, say: {speaker: 林雨, text: 不行}}\n\
         - {id: a, type: ending, outcome: success}\n- {id: b, type: ending, outcome: failure}\n",
    );
    let (script, diags, _) = load_str(&y);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    match script {
        Some(Script::WorldTree(t)) => t,
        _ => panic!("bench tree did not load"),
    }
}

fn draw_play(c: &mut Criterion) {
    let tree = Arc::new(long_tree());
    let mut p = Play::new(tree, Mode::Gae, 1);
    p.confirm(&mut Replay);
    p.reveal_all(&mut Replay);
    p.select(0);
    let theme = Theme::builtin_default();
    let ctx = Ctx {
        theme: &theme,
        s: Lang::Zh.strings(),
        lang: Lang::Zh,
    };
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("tui/draw_play_300_lines_200x60", |b| {
        b.iter(|| {
            term.draw(|f| play::render(f, f.area(), &ctx, &p))
                .expect("draw");
        });
    });
}

fn startup(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundled = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts"));
    let sources: Vec<PathBuf> = std::fs::read_dir(&bundled)
        .expect("scripts")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    assert!(!sources.is_empty());
    for i in 0..250 {
        let src = &sources[i % sources.len()];
        let text = std::fs::read_to_string(src).expect("read");
        let text = text.replacen("\nid: ", &format!("\nid: copy{i}-"), 1);
        std::fs::write(dir.path().join(format!("s{i:03}.yaml")), text).expect("write");
    }
    let cache = tempfile::tempdir().expect("cache dir");
    let opts = |cache_dir: Option<PathBuf>| Options {
        lang: Lang::En,
        theme: Theme::builtin_default(),
        scripts: vec![dir.path().to_path_buf()],
        config_dir: None,
        annotator: Some("bench".into()),
        base_seed: 0,
        store_label: "bench".into(),
        training: false,
        cache_dir,
    };
    let first_frame = |o: Options| {
        let app = App::new(o, Box::new(common::NullPort), (120, 40));
        assert_eq!(app.library().entries.len(), 250);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        term.draw(|f| app.draw(f)).expect("draw");
    };
    let mut group = c.benchmark_group("tui");
    group.sample_size(20);
    // The usual start: the library summaries are cached from the previous run.
    first_frame(opts(Some(cache.path().to_path_buf())));
    group.bench_function("startup_first_frame_250_scripts", |b| {
        b.iter(|| first_frame(opts(Some(cache.path().to_path_buf()))));
    });
    // The first start on a machine: every script parsed (on every core).
    group.bench_function("startup_first_frame_250_scripts_cold", |b| {
        b.iter(|| first_frame(opts(None)));
    });
    group.finish();
}

criterion_group!(benches, draw_play, startup);
criterion_main!(benches);
