//! The pure domain of Loket.
//!
//! Everything here is plain data and plain functions: no files, no network, no clock, no
//! database. That keeps the rules that Indonesian administration imposes (what a valid NIK
//! looks like, which desa belongs to which kecamatan, who may approve what) testable with
//! tables of examples, and shared unchanged by the desktop app and the server.
//!
//! Reference data (the Kepmendagri 2025 region codes) is compiled in with `include_str!`, so
//! reading it is not IO. Time and randomness are always passed in by the caller.

pub mod aid;
pub mod applicant;
pub mod attachment;
pub mod catalogue;
pub mod hlc;
pub mod issue;
pub mod kk;
pub mod nik;
pub mod nip;
pub mod npwp;
pub mod permit;
pub mod phone;
pub mod region;
pub mod registration;
pub mod separators;
pub mod service;
pub mod sla;
pub mod staff;
pub mod workflow;

pub use issue::{FieldIssue, Severity};
