//! The complaint's vocabulary and rules, free of storage and HTTP so they can be tested alone.

pub mod clock;
pub mod complaint;
pub mod deadline;
pub mod lifecycle;
pub mod money;
pub mod reference;
pub mod task;

pub use complaint::{Channel, Outcome, Priority, Region, ResponseCategory};
pub use lifecycle::{Status, TransitionContext, TransitionError};
pub use money::{Money, MoneyError};
pub use reference::Reference;
pub use task::{TaskState, TaskStateError};
