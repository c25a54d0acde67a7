//! Free slots: when an appointment of a type could be booked, with whom and (for a type that
//! needs one) in which room, over a range of the practice's days.
//!
//! Candidate starts are every [`STEP_MINUTES`] from the opening of each session; an appointment
//! must end by the session's close, start after now, and find its clinician — and a room, when
//! its type needs one — free for its whole length. Clinicians are taken to work whenever the
//! practice is open (rotas are not kept yet: docs/adr/043-diary.md).

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;

use ils_kernel::{Error, Result};
use ils_storage::ids::{AppointmentTypeId, ClinicianId, RoomId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, query};

use crate::appointments::{day_start, reach_back};
use crate::hours::{self, Hours};
use crate::resources::{self, AppointmentType, Clinician, Room};
use crate::{check_days, zone};

/// Minutes between candidate starts.
pub const STEP_MINUTES: i64 = 15;
/// The most slots one search answers.
pub const MAX_SLOTS: usize = 500;

/// A time an appointment could be booked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FreeSlot {
    /// Start (UTC).
    pub starts_at: Timestamp,
    /// End (UTC).
    pub ends_at: Timestamp,
    /// A clinician free then who performs the type.
    pub clinician_id: ClinicianId,
    /// A room free then, when the type needs one.
    pub room_id: Option<RoomId>,
}

/// What to search.
#[derive(Clone, Debug)]
pub struct SlotQuery {
    /// The appointment type.
    pub type_id: AppointmentTypeId,
    /// Only this clinician.
    pub clinician_id: Option<ClinicianId>,
    /// The first day.
    pub from: Date,
    /// The last day (included); at most [`crate::MAX_DAYS`] after `from`.
    pub to: Date,
}

/// A live appointment's hold on a clinician and a room.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct Busy {
    /// The clinician held.
    pub clinician_id: ClinicianId,
    /// The room held.
    pub room_id: Option<RoomId>,
    /// From.
    pub starts_at: Timestamp,
    /// Until.
    pub ends_at: Timestamp,
}

/// The free slots for `query`, in time order, at most [`MAX_SLOTS`].
pub async fn search(tx: &mut TenantTx, query: &SlotQuery) -> Result<Vec<FreeSlot>> {
    let last = query.to.tomorrow().map_err(|e| Error::invalid_field("to", e.to_string()))?;
    check_days(query.from, last)?;
    let kind = resources::appointment_type(tx, query.type_id).await.map_err(|e| match e {
        Error::NotFound(_) => Error::invalid_field("type_id", "is not an appointment type of this practice"),
        other => other,
    })?;
    let mut clinicians = resources::clinicians(tx, false).await?;
    if let Some(only) = query.clinician_id {
        clinicians.retain(|c| c.id == only);
        if clinicians.is_empty() {
            return Err(Error::invalid_field("clinician_id", "is not an active clinician of this practice"));
        }
    }
    let rooms = if kind.needs_room { resources::rooms(tx).await? } else { Vec::new() };
    let open = hours::get(tx, query.from).await?;
    let (start, end) = (day_start(query.from)?, day_start(last)?);
    let tenant = tx.tenant_id();
    let busy: Vec<Busy> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT clinician_id, room_id, starts_at, ends_at FROM appointments
         WHERE tenant_id = $1 AND status IN ('booked', 'arrived', 'in_room', 'done')
           AND starts_at > $4 AND starts_at < $3 AND $2 < ends_at",
        tenant,
        start,
        end,
        reach_back(start)
    )?;
    Ok(plan(&kind, &clinicians, &rooms, &open, &busy, query.from, query.to, Timestamp::now()))
}

/// The free slots from the diary's facts: a pure function of them.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    kind: &AppointmentType,
    clinicians: &[Clinician],
    rooms: &[Room],
    open: &Hours,
    busy: &[Busy],
    from: Date,
    to: Date,
    now: Timestamp,
) -> Vec<FreeSlot> {
    let performers: Vec<&Clinician> = clinicians.iter().filter(|c| kind.performable_by(c)).collect();
    let length = i64::from(kind.duration_minutes);
    // Each clinician's and each room's holds, so a candidate is checked against its own few.
    let mut by_clinician: HashMap<ClinicianId, Vec<(Timestamp, Timestamp)>> = HashMap::new();
    let mut by_room: HashMap<RoomId, Vec<(Timestamp, Timestamp)>> = HashMap::new();
    for b in busy {
        by_clinician.entry(b.clinician_id).or_default().push((b.starts_at, b.ends_at));
        if let Some(room) = b.room_id {
            by_room.entry(room).or_default().push((b.starts_at, b.ends_at));
        }
    }
    let free = |holds: Option<&Vec<(Timestamp, Timestamp)>>, s: Timestamp, e: Timestamp| {
        holds.is_none_or(|holds| !holds.iter().any(|&(from, until)| from < e && s < until))
    };
    let mut slots = Vec::new();
    let mut day = from;
    while day <= to {
        for session in open.sessions_on(day) {
            let mut minute = hours::minute_of_day(session.opens);
            while minute + length <= hours::minute_of_day(session.closes) {
                let Some((starts_at, ends_at)) = instants(day, minute, length) else { break };
                minute += STEP_MINUTES;
                if starts_at < now {
                    continue;
                }
                for clinician in &performers {
                    if !free(by_clinician.get(&clinician.id), starts_at, ends_at) {
                        continue;
                    }
                    let room_id = if kind.needs_room {
                        match rooms.iter().find(|r| free(by_room.get(&r.id), starts_at, ends_at)) {
                            Some(room) => Some(room.id),
                            None => continue,
                        }
                    } else {
                        None
                    };
                    slots.push(FreeSlot { starts_at, ends_at, clinician_id: clinician.id, room_id });
                    if slots.len() >= MAX_SLOTS {
                        return slots;
                    }
                }
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    slots
}

/// The instants of `[minute, minute + length)` on the practice's `day`.
fn instants(day: Date, minute: i64, length: i64) -> Option<(Timestamp, Timestamp)> {
    let hour = i8::try_from(minute / 60).ok()?;
    let min = i8::try_from(minute % 60).ok()?;
    let start = day.at(hour, min, 0, 0).to_zoned(zone()).ok()?.timestamp();
    let end = start.checked_add(jiff::SignedDuration::from_mins(length)).ok()?;
    Some((Timestamp::from_jiff(start), Timestamp::from_jiff(end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::Opening;
    use crate::resources::Profession;
    use jiff::civil::date;

    fn clinician(name: &str, profession: Profession) -> Clinician {
        Clinician {
            id: ClinicianId::new(),
            name: name.into(),
            profession,
            goc_number: None,
            user_id: None,
            active: true,
            created_at: Timestamp::now(),
        }
    }

    fn at(day: Date, hour: i8, minute: i8) -> Timestamp {
        Timestamp::from_jiff(day.at(hour, minute, 0, 0).to_zoned(zone()).unwrap().timestamp())
    }

    #[test]
    fn slots_fit_the_sessions_avoid_the_busy_and_take_a_free_room() {
        let day = date(2030, 7, 2); // a Tuesday in British Summer Time
        let sight_test = AppointmentType {
            id: AppointmentTypeId::new(),
            name: "Sight test".into(),
            duration_minutes: 30,
            professions: vec![Profession::Optometrist],
            needs_room: true,
            active: true,
            created_at: Timestamp::now(),
        };
        let priya = clinician("Priya", Profession::Optometrist);
        let dan = clinician("Dan", Profession::DispensingOptician);
        let room =
            Room { id: RoomId::new(), name: "Room 1".into(), active: true, created_at: Timestamp::now() };
        let open = Hours {
            week: vec![Opening { weekday: 2, opens: "09:00".into(), closes: "10:00".into() }],
            exceptions: vec![],
        };
        // Priya is booked 09:15–09:45.
        let busy = [Busy {
            clinician_id: priya.id,
            room_id: Some(room.id),
            starts_at: at(day, 9, 15),
            ends_at: at(day, 9, 45),
        }];
        let clinicians = [priya.clone(), dan];
        let slots = plan(
            &sight_test,
            &clinicians,
            std::slice::from_ref(&room),
            &open,
            &busy,
            day,
            day,
            Timestamp::now(),
        );
        // 09:00 would run into 09:15; 09:15 and 09:30 overlap; 09:45 runs past 10:00.
        assert!(slots.is_empty(), "{slots:?}");

        let free = plan(
            &sight_test,
            &clinicians,
            std::slice::from_ref(&room),
            &open,
            &[],
            day,
            day,
            Timestamp::now(),
        );
        let starts: Vec<String> = free.iter().map(|s| crate::appointments::local_time(s.starts_at)).collect();
        assert_eq!(starts, ["09:00", "09:15", "09:30"], "every 15 minutes, ending by the close, Priya only");
        assert!(free.iter().all(|s| s.clinician_id == priya.id && s.room_id == Some(room.id)));
        assert_eq!(free[0].starts_at.as_jiff().to_string(), "2030-07-02T08:00:00Z", "09:00 BST is 08:00 UTC");

        // Without a room there is nothing for a type that needs one.
        assert!(plan(&sight_test, &clinicians, &[], &open, &[], day, day, Timestamp::now()).is_empty());
        // Nothing in the past.
        assert!(plan(&sight_test, &clinicians, &[room], &open, &[], day, day, at(day, 9, 31)).is_empty());
    }
}
