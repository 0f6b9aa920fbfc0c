//! One decision asked of a model: send the prompt, parse the reply, and — when asked to — send
//! one short correction if the reply could not be parsed.

use super::LlmClient;
use super::error::CallError;
use super::parse::{Choices, ParseFailure, ParsedChoice, correction_message, parse_choice};
use super::types::{ChatMessage, Completion};
use crate::script::model::Language;

/// One request and what its reply parsed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The messages sent (the prompt, plus the reply and correction for a second round).
    pub messages: Vec<ChatMessage>,
    pub completion: Completion,
    pub parsed: Result<ParsedChoice, ParseFailure>,
}

/// Everything that happened for one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// One exchange, or two when a correction was sent.
    pub exchanges: Vec<Exchange>,
    /// The HTTP failure that ended the decision, if one did.
    pub error: Option<CallError>,
}

impl Answer {
    /// The usable choice, if the last exchange gave one.
    #[must_use]
    pub fn choice(&self) -> Option<ParsedChoice> {
        self.exchanges
            .last()
            .and_then(|e| e.parsed.as_ref().ok().copied())
    }

    /// The parse failure of the last exchange, if that is why there is no choice.
    #[must_use]
    pub fn parse_failure(&self) -> Option<&ParseFailure> {
        self.exchanges.last().and_then(|e| e.parsed.as_ref().err())
    }

    /// Whether a correction was sent.
    #[must_use]
    pub fn corrected(&self) -> bool {
        self.exchanges.len() > 1
    }
}

/// Ask `client` to choose among `choices`. With `correction: Some(language)`, an unparseable
/// reply gets one follow-up in that language (the reply and [`correction_message`] appended to
/// the conversation); with `None` (the official protocol) the first reply is final.
pub async fn ask_choice(
    client: &LlmClient,
    messages: Vec<ChatMessage>,
    choices: Choices<'_>,
    correction: Option<Language>,
) -> Answer {
    let mut answer = Answer {
        exchanges: Vec::new(),
        error: None,
    };
    let prompt = messages
        .iter()
        .rev()
        .find(|m| m.role == super::types::ChatRole::User)
        .map(|m| m.content.clone());
    let parse = |text: &str| match &prompt {
        Some(p) => parse_choice(text, choices.echoing(p)),
        None => parse_choice(text, choices),
    };
    let mut messages = messages;
    for round in 0..2 {
        match client.complete(&messages).await {
            Ok(completion) => {
                let parsed = parse(&completion.text);
                let retry = parsed.is_err() && round == 0;
                let reply = completion.text.clone();
                answer.exchanges.push(Exchange {
                    messages: messages.clone(),
                    completion,
                    parsed,
                });
                match (retry, correction) {
                    (true, Some(language)) => {
                        messages.push(ChatMessage::assistant(reply));
                        messages.push(ChatMessage::user(correction_message(
                            language,
                            choices.count(),
                        )));
                    }
                    _ => break,
                }
            }
            Err(e) => {
                answer.error = Some(e);
                break;
            }
        }
    }
    answer
}
