//! `socius prompts import socialeval FILE --out DIR` on a prompt module written here in the
//! official file's shape (none of its text), and `--prompt-template DIR` picking the template
//! of the evaluation's kind: the user message sent is the template as imported, final line end
//! kept.

mod eval_common;

use std::process::Command;

use eval_common::*;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};

/// A module of the official file's shape (four assignments), in our own words.
const MODULE: &str = "\
Ending_Evaluation_Prompt_zhou = \\
\"\"\"GAE-ZH {character_name}
{main_profile}
{user_profile}
{dialogue_context}
{choices}
Reply as JSON like {{\"choice\": \"A\"}}.
\"\"\"

Ending_Evaluation_Prompt_zhou_en = \\
\"\"\"GAE-EN {character_name} {choices}
\"\"\"

Skill_Evaluation_Prompt_zhou = \\
\"\"\"
IAE-ZH {character_name} {public} {private} {goal} {user_profile}
{dialogue_context} {question} {choices}
\"\"\"

Skill_Evaluation_Prompt_zhou_en = \\
\"\"\"IAE-EN {question} {choices}\"\"\"
";

fn import(file: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(["prompts", "import", "socialeval"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .output()
        .expect("socius runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_templates_are_sent_as_written() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("evalprompt.py");
    std::fs::write(&file, MODULE).expect("write");
    let dir = tmp.path().join("templates");
    let out = import(&file, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    // The value of the Python string, and one line end the template loader drops.
    assert!(read("gae.txt").starts_with("GAE-ZH {character_name}\n"));
    assert!(read("gae.txt").ends_with("{{\"choice\": \"A\"}}.\n\n"));
    assert_eq!(read("iae-en.txt"), "IAE-EN {question} {choices}\n");
    assert!(read("iae.txt").starts_with("\nIAE-ZH"));

    let server = LoopbackServer::start(|_r: &Recorded| Reply::completion(r#"{"choice": "A"}"#))
        .await
        .expect("server");
    let store = tmp.path().join("store");
    let out = socius_async(
        &store,
        args(&[
            "eval",
            "gae",
            "--scripts",
            repo()
                .join("scripts/en-shared-kitchen.yaml")
                .to_str()
                .expect("utf-8"),
            "--endpoint",
            &server.base_url(),
            "--model",
            "m",
            "--protocol",
            "socialeval",
            "--episodes",
            "1",
            "--prompt-template",
            dir.to_str().expect("utf-8"),
        ]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let body = r.json().expect("json");
        let messages = body["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 1, "the template alone, as the user message");
        let text = messages[0]["content"].as_str().expect("text");
        assert!(text.starts_with("GAE-ZH "), "{text}");
        // `{{`/`}}` are literal braces, and the string's own final line end is kept.
        assert!(
            text.ends_with("Reply as JSON like {\"choice\": \"A\"}.\n"),
            "{text:?}"
        );
    }
}

#[test]
fn a_file_without_the_official_prompts_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("other.py");
    std::fs::write(&file, "X = \"\"\"nothing here\"\"\"\n").expect("write");
    let out = import(&file, &tmp.path().join("t"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Ending_Evaluation_Prompt_zhou"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("t").exists());
}

#[test]
fn a_device_or_a_huge_file_is_refused_not_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A device would never end; a file over the bound is not a prompt module.
    let out = import(std::path::Path::new("/dev/zero"), &tmp.path().join("t"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/dev/zero"), "{}", stderr(&out));
    let big = tmp.path().join("big.py");
    std::fs::write(&big, "#".repeat(2 << 20)).expect("write");
    let out = import(&big, &tmp.path().join("t"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!tmp.path().join("t").exists());
}
