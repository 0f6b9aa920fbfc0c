//! The model agents of CR dialogues (`CRDIAL.md`, "Models that users will bring"):
//!
//! - a **staged therapist** (`llm-staged`): an instruction model told the current stage, its
//!   goal and guidance, the channel and the catalogues, asked for a small JSON reply
//!   (sentences with strategy labels, `stage_goal_met`, `distortions`);
//! - a **free therapist** (`llm-free`): a plain chat model (such as Crispers) with its own
//!   system prompt, never told a stage; an optional **judge** model labels its turns with the
//!   stage's goal met and the distortions seen;
//! - a **simulated client** (`llm`): plays the case's hidden profile, never told the protocol.
//!
//! [`CrLlmAgent`] answers the driver's `Request::Say` for one of these roles through a
//! [`Pool`](super::Pool), streaming a preview when asked ([`stream`]), and returns the turn with
//! its `llm_call` events (purposes `cr_therapist`, `cr_client`, `cr_judge`). The prompts
//! ([`prompt`], words in [`wording`]) and the reply reading ([`reply`], spellings through
//! [`catalogue`]) are pure. A structured reply that does not parse is an unlabelled turn,
//! never an error.

pub mod agent;
pub mod catalogue;
mod locate;
pub mod prompt;
pub mod reply;
pub mod stream;
pub mod wording;

pub use agent::{
    CrAgentError, CrAgentStats, CrLlmAgent, MAX_SYSTEM_PROMPT_BYTES, Opening, PURPOSE_CLIENT,
    PURPOSE_JUDGE, PURPOSE_THERAPIST, Role, load_system_prompt,
};
pub use catalogue::Catalogue;
pub use reply::{Method, ReadTurn, Reading, Verdict, read_judge, read_plain, read_staged};
