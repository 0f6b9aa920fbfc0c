//! OpenAI-compatible chat client, prompt templates and reply parsing.
