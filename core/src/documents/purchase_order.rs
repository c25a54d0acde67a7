//! A purchase order on paper: what the supplier receives, as a PDF attached to the e-mail and
//! kept in the tenant's files.

use ils_documents::{Cell, Column, Field, Section, Table};
use ils_files::{FileName, MediaType, NewFile};
use ils_kernel::error::Result;
use ils_stock::purchase_orders::{self, PurchaseOrder};
use ils_stock::received::{Buyer, Incoming, OrderedLine};
use ils_stock::{items, locations, suppliers};
use ils_storage::TenantTx;
use ils_storage::ids::{FileId, PurchaseOrderDeliveryId, PurchaseOrderId, TenantId};

use super::Letterhead;

/// One line as printed.
#[derive(Clone, Debug)]
pub struct PaperLine {
    /// The item's SKU.
    pub sku: String,
    /// The item's name.
    pub name: String,
    /// Units ordered.
    pub quantity: i64,
    /// Price per unit, minor units.
    pub unit_price_minor: i64,
    /// Quantity × price, minor units.
    pub total_minor: i64,
}

/// Everything printed on a purchase order, read in one transaction.
#[derive(Clone, Debug)]
pub struct PurchaseOrderPaper {
    /// Whose order it is: the tenant's name and letterhead.
    pub letterhead: Letterhead,
    /// The order.
    pub order: PurchaseOrder,
    /// The supplier's name.
    pub supplier: String,
    /// The tenant's account number with the supplier.
    pub account_number: Option<String>,
    /// Where the goods go: the stock location's name.
    pub deliver_to: String,
    /// The lines with their items' names.
    pub lines: Vec<PaperLine>,
}

impl PurchaseOrderPaper {
    /// Reads order `id` and what its paper prints.
    pub async fn gather(tx: &mut TenantTx, id: PurchaseOrderId) -> Result<Self> {
        let letterhead = Letterhead::read(tx).await?;
        let order = purchase_orders::get(tx, id).await?;
        let account = suppliers::account(tx, order.supplier_id).await?;
        let deliver_to = locations::get(tx, order.location_id).await?.name;
        let mut lines = Vec::with_capacity(order.lines.len());
        for line in &order.lines {
            let item = items::get(tx, line.item_id).await?;
            lines.push(PaperLine {
                sku: line.sku.clone(),
                name: item.name,
                quantity: line.quantity,
                unit_price_minor: line.unit_price_minor,
                total_minor: line.total_minor,
            });
        }
        Ok(Self {
            letterhead,
            supplier: account.supplier.name,
            account_number: account.account_number,
            deliver_to,
            lines,
            order,
        })
    }

    /// The e-mail's subject: `Purchase order PO-000012 from Northgate Opticians`.
    pub fn subject(&self) -> String {
        format!("Purchase order {} from {}", self.order.number, self.letterhead.name)
    }

    /// The attachment's name: `PO-000012.pdf`.
    pub fn file_name(&self) -> String {
        format!("{}.pdf", self.order.number)
    }

    /// The e-mail's text, which says what is attached and whom to answer.
    pub fn covering_note(&self) -> String {
        let mut note = format!(
            "Dear {},\n\nPlease find attached our purchase order {} ({} line{}, total {}).\n",
            self.supplier,
            self.order.number,
            self.lines.len(),
            if self.lines.len() == 1 { "" } else { "s" },
            super::money(self.order.total_minor, &self.order.currency),
        );
        if let Some(account) = &self.account_number {
            note.push_str(&format!("Our account number: {account}.\n"));
        }
        note.push_str(&format!("\nPlease deliver to {}.\n", self.deliver_to));
        if let Some(email) = &self.letterhead.contact_email {
            note.push_str(&format!("Questions about this order: {email}.\n"));
        }
        note.push_str(&format!("\n{}\n", self.letterhead.name));
        note
    }

    /// The order as a PDF, dated when it was sent (so every rendering of it is the same).
    pub fn pdf(&self) -> Result<Vec<u8>> {
        let order = &self.order;
        let money = |minor: i64| Cell::Money { minor, currency: order.currency.clone() };
        let sent = order.sent_at.unwrap_or(order.updated_at);
        let mut deliver_to = vec![self.deliver_to.clone(), self.letterhead.name.clone()];
        deliver_to.extend(self.letterhead.address.iter().cloned());
        let mut header = vec![
            Field::new("Order number", &order.number),
            Field::new("Date", &super::day(sent.as_jiff().to_zoned(jiff::tz::TimeZone::UTC).date())),
            Field::new("Supplier", &self.supplier),
        ];
        if let Some(account) = &self.account_number {
            header.push(Field::new("Our account number", account));
        }
        header.push(Field::new("Deliver to", &deliver_to.join("\n")));
        let lines = Table {
            title: "Lines".into(),
            columns: vec![
                Column::text("SKU"),
                Column::text("Item"),
                Column::number("Quantity"),
                Column::number("Unit price").unit(&order.currency),
                Column::number("Line total").unit(&order.currency),
            ],
            rows: self
                .lines
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(l.sku.clone()),
                        Cell::Text(l.name.clone()),
                        Cell::Int(l.quantity),
                        money(l.unit_price_minor),
                        money(l.total_minor),
                    ]
                })
                .collect(),
        };
        let mut sections = vec![
            Section::Fields(header),
            Section::Table(lines),
            Section::Fields(vec![Field::new("Total", &super::money(order.total_minor, &order.currency))]),
        ];
        if !order.notes.is_empty() {
            sections.push(Section::Fields(vec![Field::new("Notes", &order.notes)]));
        }
        let contact = match (&self.letterhead.contact_email, &self.letterhead.phone) {
            (Some(email), _) => format!("Please confirm this order to {email}, quoting {}.", order.number),
            (None, Some(phone)) => format!("Please confirm this order on {phone}, quoting {}.", order.number),
            (None, None) => format!("Please confirm this order quoting {}.", order.number),
        };
        sections.push(Section::Text(contact));
        let document = self.letterhead.document(format!("Purchase order {}", order.number), sent, sections);
        super::pdf(&document)
    }

    /// What arrives in the supplier's inbox when the supplier is on ILS: the order as it reads
    /// now, with the PDF already in the supplier's files.
    pub fn incoming(
        &self,
        buyer: TenantId,
        delivery: PurchaseOrderDeliveryId,
        file: Option<FileId>,
    ) -> Incoming {
        let letterhead = &self.letterhead;
        Incoming {
            buyer_tenant_id: buyer,
            buyer: Buyer {
                name: letterhead.name.clone(),
                address: letterhead.address.join("\n"),
                phone: letterhead.phone.clone(),
                email: letterhead.contact_email.clone(),
            },
            delivery_id: delivery,
            purchase_order_id: self.order.id,
            number: self.order.number.clone(),
            account_number: self.account_number.clone(),
            deliver_to: self.deliver_to.clone(),
            currency: self.order.currency.clone(),
            total_minor: self.order.total_minor,
            notes: self.order.notes.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| OrderedLine {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                    total_minor: l.total_minor,
                })
                .collect(),
            file_id: file,
        }
    }

    /// The PDF kept in the tenant's files.
    pub fn file(&self, pdf: axum::body::Bytes) -> Result<NewFile> {
        Ok(NewFile {
            name: FileName::parse(&self.file_name())?,
            content_type: MediaType::parse("application/pdf")?,
            plugin_id: None,
            body: pdf,
        })
    }
}
