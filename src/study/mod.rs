//! Studies: the layer between the store and the front ends. Here, human-baseline plans:
//!
//! - `assign.rs` (pure): who plays which tree, in which order;
//! - `status.rs` (pure): how far each annotator is, from session headers;
//! - `record.rs`: a registered study on disk (see there for the layout);
//! - `judged.rs`: a registered pairwise or pointwise study and how its judgments are stored;
//! - `transcript.rs`: a shown session as the turns a judge reads.

pub mod assign;
pub mod interchange;
pub mod judged;
pub mod judged_plan;
pub mod judged_record;
pub mod judged_status;
pub mod record;
pub mod status;
pub mod transcript;

pub use assign::{AssignError, Assignment, Item, assign};
pub use record::{PlanRecord, RecordError, TreeEntry};
pub use status::{ItemState, ItemStatus, StudyStatus, status};
