//! The tenant's business documents — purchase orders, lab job tickets — as PDF and HTML through
//! the one renderer the reports use (`ils-documents`; docs/adr/037-business-documents.md), under
//! the tenant's letterhead.

pub mod job_ticket;
pub mod purchase_order;

use ils_documents::{Document, Format, Section};
use ils_kernel::error::{Error, Result};
use ils_storage::TenantTx;
use ils_storage::types::Timestamp;

/// Whose document it is: the tenant's name and the letterhead its admins set
/// (`PUT /tenant/settings`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letterhead {
    /// The tenant's name.
    pub name: String,
    /// The postal address, a line each.
    pub address: Vec<String>,
    /// The telephone number.
    pub phone: Option<String>,
    /// Where to reply.
    pub contact_email: Option<String>,
}

impl Letterhead {
    /// The transaction's tenant's letterhead.
    pub async fn read(tx: &mut TenantTx) -> Result<Self> {
        let tenant = ils_tenancy::tenants::get_own(tx).await?;
        let settings = ils_tenancy::tenants::settings(tx).await?;
        Ok(Self {
            name: tenant.name,
            address: settings.address_lines(),
            phone: settings.phone,
            contact_email: settings.contact_email,
        })
    }
}

impl Letterhead {
    /// A document of this tenant titled `title`, made `at` (the time printed on it, so the same
    /// record renders to the same bytes).
    pub(crate) fn document(&self, title: String, at: Timestamp, sections: Vec<Section>) -> Document {
        Document {
            title,
            organisation: self.name.clone(),
            letterhead: Some(ils_documents::Letterhead {
                address: self.address.clone(),
                phone: self.phone.clone(),
                email: self.contact_email.clone(),
            }),
            period: None,
            generated_at: at.as_jiff().strftime("%-d %b %Y %H:%M UTC").to_string(),
            generated_at_ms: at.as_jiff().as_millisecond(),
            sections,
        }
    }
}

/// `document` as a PDF.
pub(crate) fn pdf(document: &Document) -> Result<Vec<u8>> {
    ils_documents::render(document, Format::Pdf)
        .map_err(|e| Error::Internal(format!("rendering a document: {e}")))
}

/// An amount as documents print it: `1,234.50 GBP`.
pub(crate) fn money(minor: i64, currency: &str) -> String {
    format!("{} {currency}", ils_documents::major_units(minor, currency, true))
}

/// A day as documents print it: `3 Apr 2026`.
pub(crate) fn day(date: jiff::civil::Date) -> String {
    date.strftime("%-d %b %Y").to_string()
}
