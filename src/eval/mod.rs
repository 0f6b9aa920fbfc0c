//! Evaluation: the SocialEval metrics (GAE success rates, IAE accuracies) computed from episode
//! results, and the batch runner that produces those results from a model.

pub mod metrics;
