//! Agents: who answers a session's requests. [`api`] is the contract every agent keeps (the
//! [`Agent`] trait, its requests and replies); a person answers through [`HumanAgent`], a model
//! through `llm` (and nothing outside `llm` touches reqwest). The driver (`crate::driver`)
//! asks them.

mod api;
pub mod llm;

pub use api::{
    Agent, AgentFuture, Answer, ChoiceRequest, ContextTurn, HumanAgent, Pending, Reply, Request,
    SaidTurn, TurnCue, TurnRequest,
};
