//! `clinical`: patients and prescriptions, read only; the embedder audits every read.
//! Capability `clinical-read`.

use std::sync::Arc;

use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::{ClinicalReader, Examination, Patient, Prescription};
use crate::state::Invocation;

pub(crate) struct ClinicalCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) reader: Arc<dyn ClinicalReader>,
}

impl ClinicalCap {
    fn check(&self) -> Result<(), GuestError> {
        require(&self.inv, Capability::ClinicalRead)
    }

    pub(crate) async fn patient(&self, id: String) -> CapResult<Patient> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        match self.reader.patient(&self.inv.scope, &id).await {
            Ok(p) => {
                self.inv.charge(64 + p.id.len() + p.given_name.len() + p.family_name.len())?;
                Ok(Ok(p))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn prescription(&self, id: String) -> CapResult<Prescription> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        match self.reader.prescription(&self.inv.scope, &id).await {
            Ok(rx) => {
                self.inv.charge(128 + rx.id.len() + rx.patient_id.len())?;
                Ok(Ok(rx))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn examination(&self, id: String) -> CapResult<Examination> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        match self.reader.examination(&self.inv.scope, &id).await {
            Ok(exam) => {
                self.inv.charge(192 + exam.id.len() + exam.performer_name.as_ref().map_or(0, String::len))?;
                Ok(Ok(exam))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}
