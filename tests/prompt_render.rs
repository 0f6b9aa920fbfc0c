//! Prompt templates: placeholder checking at load time, brace escapes, the built-in English and
//! Chinese prompts, the text filled in from a tree, and every prompt of the real corpus (when
//! `SOCIUS_SOCIALEVAL_DIR` points at it).

use std::path::PathBuf;

use socius::agent::llm::prompt::{
    PromptKind, PromptParts, PromptSet, PromptSource, Slot, Template, TemplateError, gae_parts,
    iae_parts, render_choices,
};
use socius::agent::llm::{ChatRole, Choices, parse_choice};
use socius::engine::iae;
use socius::script::model::{
    Character, Choice, IaeItem, Language, Line, Node, NodeKind, Orientation, Outcome, Role, Span,
    Utterance, WorldTree,
};

fn say(speaker: &str, text: &str) -> Utterance {
    Utterance {
        speaker: speaker.into(),
        text: text.into(),
        ..Utterance::default()
    }
}

fn choice(target: &str, text: &str) -> Choice {
    Choice {
        target: target.into(),
        say: say("Mia", text),
        ..Choice::default()
    }
}

fn node(id: &str, kind: NodeKind, lines: Vec<Line>, choices: Vec<Choice>) -> Node {
    Node {
        id: id.into(),
        kind,
        outcome: (kind == NodeKind::Ending).then_some(Outcome::Success),
        state: None,
        lines,
        choices,
        dialog_as_written: None,
        span: Span::default(),
    }
}

fn speech(speaker: &str, text: &str) -> Line {
    Line::Speech(say(speaker, text))
}

fn tree(language: Language) -> WorldTree {
    let mut first = choice("n1", "Sure, let's carry them together.");
    first.iae = Some(IaeItem {
        abilities_original: None,
        question: "Which line shows Mia's teamwork skill?".into(),
        distractors: vec![say("Mia", "Carry them yourself."), say("Mia", "Not now.")],
        ..IaeItem::default()
    });
    WorldTree {
        span: Span::default(),
        id: "t".into(),
        title: "Moving day".into(),
        language,
        orientation: Orientation::Cooperation,
        provenance: None,
        scenario: String::new(),
        characters: vec![
            Character {
                name: "Mia".into(),
                role: Some(Role::Protagonist),
                public_profile: "A student who just moved in.".into(),
                private_profile: "Her back hurts.".into(),
                goal: "Get the boxes upstairs without a fight.".into(),
                ..Character::default()
            },
            Character {
                name: "Leo".into(),
                role: Some(Role::Supporting),
                public_profile: "Mia's new flatmate.".into(),
                ..Character::default()
            },
            Character {
                name: "Ann".into(),
                public_profile: "The landlady.".into(),
                ..Character::default()
            },
        ],
        nodes: vec![
            node(
                "n0",
                NodeKind::Beginning,
                vec![
                    Line::Narration {
                        text: "Boxes block the hallway.".into(),
                        label: Some("description".into()),
                        span: Span::default(),
                    },
                    speech("Leo", "Are these yours?"),
                ],
                vec![first, choice("end", "They are. Deal with it.")],
            ),
            node(
                "n1",
                NodeKind::Choice,
                vec![
                    Line::Introduce {
                        name: "Ann".into(),
                        span: Span::default(),
                    },
                    speech("Ann", "No boxes on the stairs, please."),
                ],
                vec![choice("end", "We'll be quick."), choice("end", "Sorry!")],
            ),
            node("end", NodeKind::Ending, vec![], vec![]),
        ],
    }
}

#[test]
fn built_in_templates_parse_and_use_their_kinds_placeholders() {
    for kind in [PromptKind::Gae, PromptKind::Iae] {
        for lang in [Language::En, Language::Zh] {
            let set = PromptSet::builtin(kind, lang).unwrap();
            assert_eq!(set.source(), &PromptSource::Builtin(lang));
            let used: Vec<Slot> = set.user_template().slots().collect();
            for slot in [
                Slot::CharacterName,
                Slot::UserProfile,
                Slot::DialogueContext,
                Slot::Choices,
            ] {
                assert!(used.contains(&slot), "{kind} {lang:?} lacks {slot:?}");
            }
            if kind == PromptKind::Iae {
                for slot in [Slot::Public, Slot::Private, Slot::Goal, Slot::Question] {
                    assert!(used.contains(&slot), "{lang:?} IAE lacks {slot:?}");
                }
            } else {
                assert!(used.contains(&Slot::MainProfile));
            }
            assert!(set.system_template().is_some());
        }
    }
}

#[test]
fn unknown_placeholders_are_reported_at_load_with_their_name() {
    let err = Template::parse(PromptKind::Gae, "Hi {character_name},\nsee {choises}").unwrap_err();
    assert_eq!(
        err,
        TemplateError::UnknownPlaceholder {
            name: "choises".into(),
            line: 2,
            col: 5,
            kind: PromptKind::Gae,
            known: "{character_name}, {main_profile}, {user_profile}, {dialogue_context}, \
                    {choices}"
                .into(),
        }
    );
    assert!(err.to_string().contains("{choises}"), "{err}");
    // IAE placeholders are not available to GAE templates, and are to IAE ones.
    assert!(matches!(
        Template::parse(PromptKind::Gae, "{question}"),
        Err(TemplateError::UnknownPlaceholder { name, .. }) if name == "question"
    ));
    assert!(Template::parse(PromptKind::Iae, "{question} {public} {private} {goal}").is_ok());
    // An unescaped JSON example is an unknown placeholder.
    let err = Template::parse(PromptKind::Gae, r#"Answer {"choice": "A"}"#).unwrap_err();
    assert!(
        matches!(&err, TemplateError::UnknownPlaceholder { name, col: 8, .. } if name.starts_with("\"choice\"")),
        "{err:?}"
    );
    assert_eq!(
        Template::parse(PromptKind::Gae, "ok\n  {choices"),
        Err(TemplateError::Unclosed { line: 2, col: 3 })
    );
    assert_eq!(
        Template::parse(PromptKind::Gae, "a } b"),
        Err(TemplateError::LoneClose { line: 1, col: 3 })
    );
    assert_eq!(
        Template::parse(PromptKind::Gae, " \n"),
        Err(TemplateError::Empty)
    );
    // Columns count characters, not bytes.
    assert!(matches!(
        Template::parse(PromptKind::Gae, "你好{x}"),
        Err(TemplateError::UnknownPlaceholder { col: 3, .. })
    ));
}

#[test]
fn braces_escape_and_placeholders_repeat() {
    let t = Template::parse(
        PromptKind::Gae,
        "{{\"choice\": \"<letter>\"}} {character_name}{character_name}}}{{\n",
    )
    .unwrap();
    let parts = PromptParts {
        character_name: "Mia".into(),
        ..PromptParts::default()
    };
    assert_eq!(t.render(&parts), "{\"choice\": \"<letter>\"} MiaMia}{");
    assert_eq!(t.slots().count(), 2);
}

#[test]
fn template_files_load_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("official.txt");
    std::fs::write(&good, "Be {character_name}.\n{choices}\n").unwrap();
    let set = PromptSet::from_file(PromptKind::Gae, &good).unwrap();
    assert!(set.system_template().is_none());
    let tree = tree(Language::En);
    let opts: Vec<&Utterance> = tree.nodes[0].choices.iter().map(|c| &c.say).collect();
    let prompt = set.render(&gae_parts(&tree, &[0], None, &opts));
    assert_eq!(prompt.system, None);
    assert_eq!(
        prompt.user,
        "Be Mia.\nA: Mia: Sure, let's carry them together.\nB: Mia: They are. Deal with it."
    );
    let messages = prompt.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].role, ChatRole::User);

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "{who}").unwrap();
    let err = PromptSet::from_file(PromptKind::Gae, &bad).unwrap_err();
    assert!(err.to_string().contains("bad.txt"), "{err}");
    assert!(err.to_string().contains("{who}"), "{err}");
    let missing = PromptSet::from_file(PromptKind::Gae, &dir.path().join("none.txt"));
    assert!(matches!(missing, Err(TemplateError::Read { .. })));
}

#[test]
fn gae_prompt_from_a_tree() {
    let tree = tree(Language::En);
    let set = PromptSet::builtin(PromptKind::Gae, Language::En).unwrap();
    let path = [0, 1];
    let opts: Vec<&Utterance> = tree.nodes[1].choices.iter().map(|c| &c.say).collect();

    // The official protocol: the chosen line is not in the context.
    let parts = gae_parts(&tree, &path, None, &opts);
    assert_eq!(parts.character_name, "Mia");
    assert_eq!(
        parts.main_profile,
        "Name: Mia\nPublic profile: A student who just moved in.\nPrivate profile: Her back \
         hurts.\nGoal: Get the boxes upstairs without a fight."
    );
    assert_eq!(
        parts.user_profile,
        "Leo: Mia's new flatmate.\nAnn: The landlady."
    );
    assert_eq!(
        parts.dialogue_context,
        "description: Boxes block the hallway.\nLeo: Are these yours?\nAnn: No boxes on the \
         stairs, please."
    );
    assert_eq!(parts.choices, "A: Mia: We'll be quick.\nB: Mia: Sorry!");

    // Ours: the chosen line follows its node.
    let chosen = [(0, 0)];
    let ours = gae_parts(&tree, &path, Some(&chosen), &opts);
    assert!(
        ours.dialogue_context.contains(
            "Leo: Are these yours?\nMia: Sure, let's carry them together.\nAnn: No boxes"
        )
    );

    let prompt = set.render(&parts);
    let system = prompt.system.clone().unwrap();
    assert!(system.starts_with("You are playing Mia"));
    assert!(system.contains(r#"{"choice": "<letter>", "reason": "<one sentence>"}"#));
    assert!(
        prompt
            .user
            .contains("# The other people in the scene\nLeo: Mia's new flatmate.")
    );
    assert!(prompt.user.ends_with(
        "A: Mia: We'll be quick.\nB: Mia: Sorry!\n\nWhich line does Mia say? Reply with JSON \
         only: {\"choice\": \"<letter>\", \"reason\": \"<one sentence>\"}"
    ));
    assert!(!prompt.user.contains("{{") && !prompt.user.contains("}}"));
    let messages = prompt.messages();
    assert_eq!(
        messages.iter().map(|m| m.role).collect::<Vec<_>>(),
        [ChatRole::System, ChatRole::User]
    );
    // The prompt echoed back is not an answer; the JSON example in it is not one either.
    let c = Choices::with_texts(&["We'll be quick.", "Sorry!"]).echoing(&prompt.user);
    assert_eq!(
        parse_choice(&prompt.user, c).map_err(|e| e.code()),
        Err("no_choice")
    );
    assert_eq!(
        parse_choice(
            &prompt.user,
            Choices::with_texts(&["We'll be quick.", "Sorry!"])
        )
        .map_err(|e| e.code()),
        Err("repeats_options")
    );
}

#[test]
fn iae_prompt_from_a_tree_in_chinese() {
    let tree = tree(Language::Zh);
    let items = iae::items(&tree);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let presented = iae::present(&tree, item, None);
    let question = &tree.nodes[item.node].choices[item.choice]
        .iae
        .as_ref()
        .unwrap()
        .question;
    let parts = iae_parts(&tree, &item.path, None, question, &presented.options);
    assert_eq!(
        parts.choices,
        "A. Sure, let's carry them together.\nB. Carry them yourself.\nC. Not now."
    );
    assert_eq!(parts.public, "A student who just moved in.");
    assert_eq!(parts.question, "Which line shows Mia's teamwork skill?");
    assert!(parts.main_profile.starts_with("姓名：Mia\n公开信息："));
    assert_eq!(parts.user_profile, "Leo：Mia's new flatmate.");
    let set = PromptSet::builtin(PromptKind::Iae, tree.language).unwrap();
    let prompt = set.render(&parts);
    assert!(prompt.system.unwrap().starts_with("你将从Mia的角度"));
    assert!(
        prompt
            .user
            .contains("# 问题\nWhich line shows Mia's teamwork skill?\n\n# 候选的话\nA. ")
    );
    assert!(prompt.user.contains("私密信息：Her back hurts."));

    // Empty profile fields read "none" in the separate IAE slots.
    let mut bare = tree.clone();
    bare.characters[0].private_profile.clear();
    let parts = iae_parts(&bare, &item.path, None, question, &presented.options);
    assert_eq!(parts.private, "（无）");
    assert!(!parts.main_profile.contains("私密信息"));
}

#[test]
fn option_lines() {
    let a = say("Mia", "Hi.");
    let b = say("Mia", "Bye.");
    assert_eq!(
        render_choices(PromptKind::Gae, &[&a, &b]),
        "A: Mia: Hi.\nB: Mia: Bye."
    );
    assert_eq!(
        render_choices(PromptKind::Iae, &[&a, &b]),
        "A. Hi.\nB. Bye."
    );
    assert_eq!(render_choices(PromptKind::Iae, &[]), "");
}

/// Every choice point of every corpus tree renders in both kinds with no placeholder left.
#[test]
fn corpus_prompts_render() {
    let Some(dir) = std::env::var_os("SOCIUS_SOCIALEVAL_DIR").map(PathBuf::from) else {
        assert!(
            std::env::var_os("SOCIUS_REQUIRE_CORPUS").is_none_or(|v| v != "1"),
            "SOCIUS_REQUIRE_CORPUS=1 but SOCIUS_SOCIALEVAL_DIR is not set"
        );
        eprintln!("SOCIUS_SOCIALEVAL_DIR not set; skipping the corpus check");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut prompts = 0usize;
    for f in &files {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(converted) = socius::script::socialeval::convert_tree(&value, &name) else {
            continue;
        };
        let tree = converted.tree;
        let gae = PromptSet::builtin(PromptKind::Gae, tree.language).unwrap();
        let iae_set = PromptSet::builtin(PromptKind::Iae, tree.language).unwrap();
        for item in iae::items(&tree) {
            let node = &tree.nodes[item.node];
            let opts: Vec<&Utterance> = node.choices.iter().map(|c| &c.say).collect();
            let p = gae.render(&gae_parts(&tree, &item.path, None, &opts));
            assert!(p.user.contains("\nA: "), "{name}");
            let presented = iae::present(&tree, &item, None);
            let q = node.choices[item.choice]
                .iae
                .as_ref()
                .map(|i| i.question.as_str())
                .unwrap_or_default();
            let p = iae_set.render(&iae_parts(&tree, &item.path, None, q, &presented.options));
            for slot in ["{question}", "{choices}", "{public}", "{dialogue_context}"] {
                assert!(!p.user.contains(slot), "{name}: {slot} left in the prompt");
            }
            prompts += 2;
        }
    }
    assert!(prompts > 1000, "{prompts}");
}
