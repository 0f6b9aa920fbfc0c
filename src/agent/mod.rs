//! Agents: who answers a decision. Only `llm` (and nothing outside it) touches reqwest.

pub mod llm;
