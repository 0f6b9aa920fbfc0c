//! A CR dialogue session: the stage machine ([`crate::engine::cr`]) driven by two agents — a
//! therapist and a client, each a person or a model — with every turn screened for safety before
//! the machine sees it, and every effect recorded through [`super::records::cr`] before the next
//! request is made.

use std::sync::Arc;

use super::records::cr::{self as rec, TurnFacts};
use super::{
    Agent, Answer, ContextTurn, DriverError, Recorder, Reply, Request, SaidTurn, TurnCue,
    TurnRequest,
};
use crate::agent::llm::safety::{Classified, Classifier};
use crate::engine::cr::{
    CrPolicy, Effect, Finished, Input, Override, PolicyError, SafetyTrigger, Speaker, State,
    TherapistTurn,
};
use crate::script::cr::safety::Screen;
use crate::session::{EventBody, Status, StatusChange, StatusReason};
use crate::vocab::CrSpeaker;

/// A screen usable across threads.
pub type SharedScreen = Arc<dyn Screen + Send + Sync>;

/// What the driver asks next.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ask {
    speaker: Speaker,
    cue: TurnCue,
}

/// One CR dialogue. Cloning it is cheap enough for a screen to take a step on a copy and keep
/// the copy only once the step's events are stored.
#[derive(Clone)]
pub struct CrDriver {
    machine: State,
    /// Every turn's text, by index.
    transcript: Vec<(Speaker, String)>,
    ask: Option<Ask>,
    screen: SharedScreen,
    /// A speaker whose turns are not screened: a human therapist (a clinician asking the
    /// standard risk questions is no crisis). Clients, and model therapists, always are.
    unscreened: Option<Speaker>,
}

impl std::fmt::Debug for CrDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrDriver")
            .field("machine", &self.machine)
            .field("turns", &self.transcript.len())
            .field("ask", &self.ask)
            .finish_non_exhaustive()
    }
}

/// The engine's speaker as stored.
#[must_use]
pub const fn stored_speaker(s: Speaker) -> CrSpeaker {
    match s {
        Speaker::Therapist => CrSpeaker::Therapist,
        Speaker::Client => CrSpeaker::Client,
    }
}

impl CrDriver {
    /// A dialogue under `policy`, screening every turn with `screen`.
    ///
    /// # Errors
    /// A policy the machine cannot run.
    pub fn new(policy: CrPolicy, screen: SharedScreen) -> Result<Self, PolicyError> {
        Ok(Self {
            machine: State::new(policy)?,
            transcript: Vec::new(),
            ask: None,
            screen,
            unscreened: None,
        })
    }

    /// Leave `speaker`'s turns unscreened (a human therapist). A client is always screened.
    #[must_use]
    pub fn without_screening(mut self, speaker: Speaker) -> Self {
        if speaker == Speaker::Therapist {
            self.unscreened = Some(speaker);
        }
        self
    }

    /// The stage machine, to read.
    #[must_use]
    pub const fn machine(&self) -> &State {
        &self.machine
    }

    /// Every turn so far: (speaker, text).
    #[must_use]
    pub fn transcript(&self) -> &[(Speaker, String)] {
        &self.transcript
    }

    /// Who is asked for the next turn (`None`: nobody — paused, finished, or not started).
    #[must_use]
    pub fn asked(&self) -> Option<Speaker> {
        self.ask.as_ref().map(|a| a.speaker)
    }

    #[must_use]
    pub const fn is_finished(&self) -> bool {
        self.machine.is_finished()
    }

    #[must_use]
    pub const fn is_paused(&self) -> bool {
        self.machine.is_paused()
    }

    /// Feed one input, record its effects (with `facts` for the turn it appends, and `before`
    /// first: the exchange that produced it), and remember what is asked next.
    fn feed(
        &mut self,
        input: Input,
        before: Vec<EventBody>,
        facts: TurnFacts,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<Effect>, DriverError> {
        let effects = self.machine.handle(input);
        let mut events = before;
        events.extend(rec::effects(&effects, facts));
        if let Some(Effect::Finish(f)) = effects.iter().find(|e| matches!(e, Effect::Finish(_))) {
            events.push(closing(f));
        }
        // On disk before the driver (and the screen) moves on.
        recorder.record(events)?;
        for e in &effects {
            match e {
                Effect::AppendTurn(t) => {
                    if self.transcript.len() <= t.index.0 {
                        self.transcript
                            .resize(t.index.0 + 1, (t.speaker, String::new()));
                    }
                    self.transcript[t.index.0] = (t.speaker, t.text.clone());
                }
                Effect::AskTherapist(a) => {
                    self.ask = Some(Ask {
                        speaker: Speaker::Therapist,
                        cue: TurnCue::Therapist {
                            stage: a.stage.clone(),
                            channel: a.channel.as_ref().map(|c| c.distortion.clone()),
                            stage_turn: a.stage_turn,
                            stage_cap: a.stage_cap,
                            open_channels: a
                                .open_channels
                                .iter()
                                .map(|c| c.distortion.clone())
                                .collect(),
                        },
                    });
                }
                Effect::AskClient(a) => {
                    self.ask = Some(Ask {
                        speaker: Speaker::Client,
                        cue: TurnCue::Client { opening: a.opening },
                    });
                }
                // Nothing is asked while paused, nor after the end.
                Effect::Escalate(_) | Effect::Finish(_) => self.ask = None,
                _ => {}
            }
        }
        Ok(effects)
    }

    /// Begin: the first stage, and the opener is asked.
    ///
    /// # Errors
    /// The store could not write.
    pub fn start(&mut self, recorder: &mut dyn Recorder) -> Result<Vec<Effect>, DriverError> {
        self.feed(Input::Start, Vec::new(), TurnFacts::default(), recorder)
    }

    /// The request for whoever is asked, with the dialogue as that speaker may see it.
    #[must_use]
    pub fn request(&self) -> Option<TurnRequest> {
        let ask = self.ask.as_ref()?;
        let context = self
            .machine
            .context()
            .iter()
            .filter_map(|i| self.transcript.get(i.0))
            .map(|(s, text)| ContextTurn {
                speaker: stored_speaker(*s),
                text: text.clone(),
            })
            .collect();
        Some(TurnRequest {
            speaker: stored_speaker(ask.speaker),
            cue: ask.cue.clone(),
            context,
            stream: None,
        })
    }

    /// Whether the lexicon flags `text`.
    #[must_use]
    pub fn lexicon_flags(&self, text: &str) -> bool {
        self.screen.screen(text).flagged
    }

    /// `speaker`'s reply to the request: screened, fed to the machine, recorded with its
    /// exchange. A failed reply ends the dialogue (`error`).
    ///
    /// # Errors
    /// The store could not write, or `speaker` was not asked.
    pub fn answer(
        &mut self,
        speaker: Speaker,
        reply: Reply,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<Effect>, DriverError> {
        self.answer_checked(speaker, reply, None, recorder)
    }

    /// As [`CrDriver::answer`], with a classifier's verdict on the turn's text (asked when the
    /// lexicon let it pass): when it flags, the turn is a crisis turn as if the lexicon had
    /// flagged it (`matched` is the classifier's label); its call is recorded before the turn.
    ///
    /// # Errors
    /// As [`CrDriver::answer`].
    pub fn answer_checked(
        &mut self,
        speaker: Speaker,
        reply: Reply,
        classified: Option<Classified>,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<Effect>, DriverError> {
        if self.asked() != Some(speaker) {
            return Err(DriverError::NoQuestion);
        }
        let Reply {
            answer,
            latency_ms,
            mut exchange,
        } = reply;
        let said = match answer {
            Answer::Said(s) => s,
            Answer::Failed(error) => {
                return self.feed(
                    Input::AgentFailed { speaker, error },
                    exchange,
                    TurnFacts::default(),
                    recorder,
                );
            }
            other => {
                let error = format!("the {speaker:?} gave no turn ({other:?})").to_lowercase();
                return self.feed(
                    Input::AgentFailed { speaker, error },
                    exchange,
                    TurnFacts::default(),
                    recorder,
                );
            }
        };
        let facts = TurnFacts {
            latency_ms: Some(latency_ms),
            cut: said.cut,
            unlabelled: said.labels.is_none(),
        };
        let SaidTurn { text, labels, .. } = said;
        let mut verdict = if self.unscreened == Some(speaker) {
            crate::script::cr::safety::Verdict::pass()
        } else {
            self.screen.screen(&text)
        };
        if let Some(c) = classified {
            if !verdict.flagged && c.flagged {
                verdict.flagged = true;
                verdict.matched = c.matched();
                verdict.category.clone_from(&c.category);
            }
            exchange.extend(c.exchange);
        }
        let input = if verdict.flagged {
            Input::CrisisTurn {
                text,
                trigger: SafetyTrigger {
                    category: verdict.category.unwrap_or_else(|| "crisis".to_owned()),
                    matched: verdict.matched.unwrap_or_default(),
                    speaker,
                    turn: None,
                },
            }
        } else {
            match speaker {
                Speaker::Therapist => Input::Therapist(TherapistTurn { text, labels }),
                Speaker::Client => Input::Client(text),
            }
        };
        self.feed(input, exchange, facts, recorder)
    }

    /// A clinician's override, recorded before its effects.
    ///
    /// # Errors
    /// The store could not write.
    pub fn clinician(
        &mut self,
        o: Override,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<Effect>, DriverError> {
        // An override the machine refuses changes nothing and is not recorded.
        let mut probe = self.machine.clone();
        let effects = probe.handle(Input::Clinician(o.clone()));
        if effects.iter().all(|e| matches!(e, Effect::Rejected { .. })) {
            return Ok(effects);
        }
        let event = rec::clinician(Some(&o));
        self.feed(
            Input::Clinician(o),
            vec![event],
            TurnFacts::default(),
            recorder,
        )
    }

    /// The clinician resumes after a safety stop.
    ///
    /// # Errors
    /// The store could not write.
    pub fn resume(&mut self, recorder: &mut dyn Recorder) -> Result<Vec<Effect>, DriverError> {
        self.feed(
            Input::Resume,
            vec![rec::clinician(None)],
            TurnFacts::default(),
            recorder,
        )
    }
}

/// The session status that closes a dialogue.
fn closing(f: &Finished) -> EventBody {
    let failed = rec::failed(f.reason);
    EventBody::SessionStatus(StatusChange {
        status: if failed {
            Status::Failed
        } else {
            Status::Finished
        },
        reason: Some(StatusReason::Other(f.reason.name().to_owned())),
    })
}

/// What a run without a clinician does at a safety stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSafety {
    /// End the dialogue (`finished_by: safety`): batch runs.
    Finish,
}

/// Play a dialogue to its end with two agents; with a `classifier`, every turn the lexicon lets
/// pass is also put to it.
///
/// # Errors
/// The store could not write.
pub async fn run(
    driver: &mut CrDriver,
    therapist: &dyn Agent,
    client: &dyn Agent,
    classifier: Option<&Classifier>,
    recorder: &mut (dyn Recorder + Send),
    on_safety: OnSafety,
) -> Result<Finished, DriverError> {
    if !driver.machine.is_started() {
        driver.start(recorder)?;
    }
    loop {
        if let Some(f) = driver.machine.finished() {
            return Ok(f.clone());
        }
        if driver.is_paused() {
            match on_safety {
                OnSafety::Finish => {
                    driver.clinician(Override::Finish, recorder)?;
                }
            }
            continue;
        }
        let Some(request) = driver.request() else {
            // Nothing asked and not finished: a bug in the machine; end rather than spin.
            let error = "the dialogue stopped without asking anyone".to_owned();
            driver.feed(
                Input::AgentFailed {
                    speaker: Speaker::Therapist,
                    error,
                },
                Vec::new(),
                TurnFacts::default(),
                recorder,
            )?;
            continue;
        };
        let speaker = driver.asked().unwrap_or(Speaker::Therapist);
        let agent = match speaker {
            Speaker::Therapist => therapist,
            Speaker::Client => client,
        };
        let reply = agent.respond(Request::Say(request)).await;
        let classified = match (&reply.answer, classifier) {
            (Answer::Said(said), Some(c)) if !driver.lexicon_flags(&said.text) => {
                Some(c.classify(&said.text).await)
            }
            _ => None,
        };
        driver.answer_checked(speaker, reply, classified, recorder)?;
    }
}
