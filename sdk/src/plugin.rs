//! The trait a compliance plugin implements.

use crate::clock::ClockEvent;
use crate::closure::{FinalResponse, MissingElement};
use crate::complaint::Complaint;
use crate::deadline::Deadline;
use crate::error::PluginError;
use crate::host::Host;
use crate::retention::RetentionPeriod;

/// A region's complaint-handling rules, as plain Rust.
///
/// Implement it on a unit struct and pass that struct to
/// [`export_compliance!`](crate::export_compliance). The functions take no
/// `self` because a component instance keeps no state between calls; read
/// settings through [`Host::config`] instead.
pub trait CompliancePlugin {
    /// Every deadline that applies to `complaint`, given its clock `events`
    /// in the order they happened.
    ///
    /// # Errors
    ///
    /// A [`PluginError`] when the complaint or events cannot be judged or a
    /// setting is malformed. A date in a year the holiday calendar does not
    /// cover is not an error for [`DeadlineClock`](crate::clock::DeadlineClock):
    /// it counts provisionally and says so in the deadline's basis.
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError>;

    /// What `response` lacks under the region's rules; empty when complete.
    fn check_closure(
        host: &dyn Host,
        complaint: &Complaint,
        response: &FinalResponse,
    ) -> Vec<MissingElement>;

    /// How long the complaint's records must be kept.
    fn retention(host: &dyn Host, complaint: &Complaint) -> RetentionPeriod;
}
