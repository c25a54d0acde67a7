//! # ILS privacy
//!
//! What UK GDPR asks of a practice's records beyond keeping them, in one place
//! (docs/adr/039-privacy.md):
//!
//! - [`export`]: a patient's **subject-access export** — every record held on them, as JSON files
//!   with stable field names, and who read the record when, in one zip with a readable summary,
//!   stored in the tenant's file store for download.
//! - [`erasure`]: **restriction and erasure at the end of clinical retention** — a daily sweep
//!   restricts patients past their retention date, then after a grace period removes their
//!   clinical records, unlinks their orders (kept for accounting) and leaves a tombstone with no
//!   personal data. A patient's request to be forgotten does not shorten retention.
//! - [`audit_retention`]: **audit retention** — entries older than the platform's retention are
//!   written to an archive (JSON lines) and only then deleted.
//!
//! Consent records live with the patient's record in `ils_clinical::consent`; the platform audit's
//! redaction in `ils_kernel::audit::redact`.
//!
//! ```
//! use ils_privacy::erasure::erase_after;
//! use jiff::civil::date;
//!
//! // Restricted on 1 March, with 30 days' grace: erased from 31 March on.
//! assert_eq!(erase_after(date(2036, 3, 1), 30), date(2036, 3, 31));
//! ```

pub mod audit_retention;
pub mod erasure;
pub mod export;
mod held;
mod summary;

use ils_files::Files;
use ils_storage::Db;

/// The privacy services over the database and the tenants' file store.
#[derive(Clone, Debug)]
pub struct Privacy {
    db: Db,
    files: Files,
}

impl Privacy {
    /// Privacy services over `db`, storing exports in `files`.
    pub fn new(db: Db, files: Files) -> Self {
        Self { db, files }
    }
}
