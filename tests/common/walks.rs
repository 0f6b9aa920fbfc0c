//! Walks through the driver's step API, stored as people and models store them (shared by
//! the inspector's and the studies' tests).

use std::sync::Arc;

use socius::driver::records::Timing;
use socius::driver::{Driver, StoreRecorder};
use socius::engine::episode::{EpisodeConfig, EpisodeEffect, Mode, OptionSource};
use socius::script::WorldTree;
use socius::session::{EventBody, LlmCall, NewSession, ScriptRef, SessionId, SessionKind, Who};
use socius::store::Store;

/// A model's call: a JSON reply with an explanation naming the choice.
pub fn call(model: &str, pick: &str) -> EventBody {
    EventBody::LlmCall(Box::new(LlmCall {
        purpose: Some("decision".to_owned()),
        model: Some(model.to_owned()),
        request: serde_json::json!({"messages": []}),
        raw_reply: Some(format!(
            "{{\"choice\": \"A\", \"explanation\": \"{model} picks {pick}\"}}"
        )),
        parsed: Some(serde_json::json!({"index": 0, "letter": "A", "method": "json"})),
        usage: None,
        finish_reason: None,
        latency_ms: 3,
        attempts: Vec::new(),
        error: None,
    }))
}

/// Walk `tree` choosing the choices named `picks` (by id), through the driver, and close.
pub fn walk(
    store: &Store,
    tree: &Arc<WorldTree>,
    content: &str,
    who: Who,
    picks: &[&str],
) -> SessionId {
    let is_model = matches!(who, Who::Model { .. });
    let model_name = match &who {
        Who::Model { name, .. } => name.clone(),
        Who::Annotator { .. } => String::new(),
    };
    let session = store
        .create(NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new(&tree.id, content.as_bytes()),
            who,
            1,
        ))
        .unwrap();
    let mut rec = StoreRecorder::new(store.clone(), session.id, false);
    let config = EpisodeConfig {
        mode: Mode::Gae,
        shuffle: true,
        seed: 7,
        official: false,
    };
    let mut driver = Driver::new(Arc::clone(tree), config);
    let mut effects = driver.start();
    let mut picks = picks.iter();
    loop {
        if let Some(end) = effects.iter().find_map(|e| match e {
            EpisodeEffect::End(end) => Some(end.clone()),
            _ => None,
        }) {
            driver.close(&end, &mut rec).unwrap();
            break;
        }
        let q = driver.question().unwrap().clone();
        driver.present(&mut rec).unwrap();
        let pick = picks.next().expect("a pick for every choice point");
        let node = &tree.nodes[q.node];
        let position = q
            .options
            .iter()
            .position(|o| matches!(o, OptionSource::Choice(c) if node.choice_id(*c) == *pick))
            .unwrap_or_else(|| panic!("{pick} is not offered at {}", node.id));
        let exchange = if is_model {
            vec![call(&model_name, pick)]
        } else {
            Vec::new()
        };
        effects = driver
            .answer(position, Timing::latency(40), exchange, &mut rec)
            .unwrap();
    }
    session.id
}

/// Borrowed choice ids, as [`walk`] takes them.
pub fn refs(picks: &[String]) -> Vec<&str> {
    picks.iter().map(String::as_str).collect()
}

/// Append one IAE item per `(ability, correct)` to session `id`: the options presented, then
/// the answer (the first option), as a sitting stores them.
pub fn iae_answers(store: &Store, id: SessionId, answers: &[(&str, bool)]) {
    use socius::session::{IaeAnswer, OptionsPresented, PresentedOption};
    for (n, (ability, correct)) in answers.iter().enumerate() {
        let opt = |k: &str| PresentedOption {
            id: k.into(),
            text: k.into(),
        };
        store
            .append(
                id,
                EventBody::OptionsPresented(OptionsPresented {
                    node: Some(format!("n{n}")),
                    prompt: None,
                    options: vec![opt("a"), opt("b")],
                }),
            )
            .expect("options");
        store
            .append(
                id,
                EventBody::IaeAnswer(IaeAnswer {
                    item: format!("n{n}#0").as_str().into(),
                    ability: Some((*ability).to_owned()),
                    option_index: 0,
                    option_id: "a".into(),
                    correct: Some(*correct),
                    latency_ms: 10,
                    options_scrolled: false,
                }),
            )
            .expect("answer");
    }
}
