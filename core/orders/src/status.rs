//! The lab order lifecycle: `pending → in_production → quality_check → shipped → completed`,
//! with `on_hold` (resuming where it left off), `cancelled`, and a failed quality check sending
//! the job back to production. Remakes, returns and non-adapts are new orders linked to the
//! original, not transitions of it.
//!
//! Who may move an order: practice staff (ECP, dispenser) create, cancel before production
//! starts, and confirm receipt (`shipped → completed`); lab staff (lab technician, engineer) move
//! production, hold and resume; company admins may do everything a transition allows.

use ils_kernel::permissions::Role;
use ils_storage::text_enum;

text_enum! {
    /// Where an order is in its lifecycle.
    pub enum OrderStatus {
        /// Placed, not yet started.
        Pending = "pending",
        /// Being made.
        InProduction = "in_production",
        /// Being checked against tolerances.
        QualityCheck = "quality_check",
        /// On its way to the practice.
        Shipped = "shipped",
        /// Received by the practice; final.
        Completed = "completed",
        /// Paused (missing frame, query to the practice); resumes where it was.
        OnHold = "on_hold",
        /// Stopped for good; final.
        Cancelled = "cancelled",
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// No order may move this way (HTTP 409).
    #[error("an order cannot go from {from} to {to}")]
    Invalid {
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// The move exists, but not for this role (HTTP 403).
    #[error("the {role} role may not move an order from {from} to {to}")]
    NotForRole {
        /// The caller's role, which may not make this move.
        role: Role,
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// A failed quality check must say what failed.
    #[error("sending an order back from quality check needs the quality issue found")]
    QualityIssueRequired,
}

/// Which side of the order makes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The practice (ordering, receiving).
    Practice,
    /// The lab (making).
    Lab,
    /// Either side: the practice or the lab may make the move.
    Both,
}

impl OrderStatus {
    /// Whether the lifecycle is over.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }

    /// The moves out of this status, and which side makes each. `held_from` is the status an
    /// order on hold was in, where it resumes.
    fn moves(self, held_from: Option<OrderStatus>) -> Vec<(OrderStatus, Side)> {
        use OrderStatus::*;
        match self {
            Pending => vec![(InProduction, Side::Lab), (OnHold, Side::Both), (Cancelled, Side::Both)],
            InProduction => vec![(QualityCheck, Side::Lab), (OnHold, Side::Lab), (Cancelled, Side::Lab)],
            QualityCheck => vec![(Shipped, Side::Lab), (InProduction, Side::Lab), (OnHold, Side::Lab)],
            Shipped => vec![(Completed, Side::Practice)],
            OnHold => {
                let mut moves = vec![(Cancelled, Side::Both)];
                if let Some(from) = held_from.filter(|f| !f.is_final() && *f != OnHold) {
                    moves.push((from, Side::Lab));
                }
                moves
            }
            Completed | Cancelled => Vec::new(),
        }
    }

    /// Which side makes the move from `self` to `to`, if it exists.
    pub fn side(self, to: OrderStatus, held_from: Option<OrderStatus>) -> Option<Side> {
        self.moves(held_from).into_iter().find(|(next, _)| *next == to).map(|(_, side)| side)
    }

    /// Whether any role may move an order from `self` to `to`.
    pub fn can_move_to(self, to: OrderStatus, held_from: Option<OrderStatus>) -> bool {
        self.moves(held_from).iter().any(|(next, _)| *next == to)
    }

    /// Checks a transition for `role`. `quality_issue` is what a failed check found.
    pub fn transition(
        self,
        to: OrderStatus,
        role: Role,
        held_from: Option<OrderStatus>,
        quality_issue: Option<&str>,
    ) -> Result<(), TransitionError> {
        let side = self
            .moves(held_from)
            .into_iter()
            .find(|(next, _)| *next == to)
            .map(|(_, side)| side)
            .ok_or(TransitionError::Invalid { from: self, to })?;
        let allowed = match role {
            Role::CompanyAdmin => true,
            Role::Ecp | Role::Dispenser => matches!(side, Side::Practice | Side::Both),
            Role::LabTech | Role::Engineer => matches!(side, Side::Lab | Side::Both),
            Role::Supplier => false,
        };
        if !allowed {
            return Err(TransitionError::NotForRole { role, from: self, to });
        }
        if self == OrderStatus::QualityCheck
            && to == OrderStatus::InProduction
            && quality_issue.is_none_or(|q| q.trim().is_empty())
        {
            return Err(TransitionError::QualityIssueRequired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    /// Every allowed move, written out once; everything else must be refused.
    const ALLOWED: &[(OrderStatus, OrderStatus)] = &[
        (Pending, InProduction),
        (Pending, OnHold),
        (Pending, Cancelled),
        (InProduction, QualityCheck),
        (InProduction, OnHold),
        (InProduction, Cancelled),
        (QualityCheck, Shipped),
        (QualityCheck, InProduction),
        (QualityCheck, OnHold),
        (Shipped, Completed),
        (OnHold, Cancelled),
    ];

    #[test]
    fn exactly_the_listed_moves_are_possible() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = ALLOWED.contains(&(*from, *to));
                assert_eq!(from.can_move_to(*to, None), expected, "{from} → {to}");
            }
        }
    }

    #[test]
    fn on_hold_resumes_only_where_it_was() {
        for held in [Pending, InProduction, QualityCheck] {
            for to in OrderStatus::ALL {
                let expected = *to == held || *to == Cancelled;
                assert_eq!(OnHold.can_move_to(*to, Some(held)), expected, "held from {held}, → {to}");
            }
        }
        assert!(!OnHold.can_move_to(Completed, Some(Completed)), "never resumes into a final status");
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for to in OrderStatus::ALL {
            assert!(!Completed.can_move_to(*to, None));
            assert!(!Cancelled.can_move_to(*to, None));
        }
    }

    #[test]
    fn each_side_makes_only_its_moves() {
        let practice = [Role::Ecp, Role::Dispenser];
        let lab = [Role::LabTech, Role::Engineer];
        for (from, to) in ALLOWED {
            let issue = Some("axis out of tolerance");
            let practice_may = matches!(
                (from, to),
                (Pending, OnHold | Cancelled) | (Shipped, Completed) | (OnHold, Cancelled)
            );
            let lab_may = !matches!((from, to), (Shipped, Completed));
            for role in practice {
                assert_eq!(
                    from.transition(*to, role, None, issue).is_ok(),
                    practice_may,
                    "{role}: {from} → {to}"
                );
            }
            for role in lab {
                assert_eq!(from.transition(*to, role, None, issue).is_ok(), lab_may, "{role}: {from} → {to}");
            }
            assert!(from.transition(*to, Role::CompanyAdmin, None, issue).is_ok());
            assert!(from.transition(*to, Role::Supplier, None, issue).is_err());
        }
        assert_eq!(
            Pending.transition(Shipped, Role::CompanyAdmin, None, None),
            Err(TransitionError::Invalid { from: Pending, to: Shipped })
        );
        assert!(matches!(
            InProduction.transition(QualityCheck, Role::Dispenser, None, None),
            Err(TransitionError::NotForRole { .. })
        ));
    }

    #[test]
    fn a_failed_quality_check_must_name_the_issue() {
        assert_eq!(
            QualityCheck.transition(InProduction, Role::LabTech, None, None),
            Err(TransitionError::QualityIssueRequired)
        );
        assert_eq!(
            QualityCheck.transition(InProduction, Role::LabTech, None, Some("  ")),
            Err(TransitionError::QualityIssueRequired)
        );
        assert!(QualityCheck.transition(InProduction, Role::LabTech, None, Some("coating scratch")).is_ok());
    }
}
