//! Devices connected through an on-site bridge (`ils bridge`, docs/adr/049-live-devices.md).
//!
//! A tenant registers each device with the driver plugin that speaks its protocol and the model
//! as the driver names it ([`register`]). The bridge only moves bytes: each entry it sends (a
//! device connecting or leaving, bytes it sent) carries the device's next sequence number, and
//! [`Sessions::apply`] runs it through the driver's `device-link` session on the state the host
//! keeps. The new state, the entry's number, the bytes to send back and what the step made
//! happen (a traced shape attached to the order its job names, a refractor's reading filling the
//! draft examination a clinician pointed the device at, a note in the device's log) commit
//! in one transaction guarded by the session's version: an entry is applied once, whatever
//! crashes, and one already applied is only acknowledged again.

mod session;
mod store;

pub use session::{Entry, Sessions};
pub use store::{
    Device, LogEntry, NewDevice, forget_examinations, get, list, log, register, set_examination,
};
