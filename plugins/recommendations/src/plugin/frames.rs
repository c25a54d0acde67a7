//! `frames`: the frames the practice stocks, ranked for one prescription. The input is one eye's
//! prescription at the top level (the eye the dispenser is fitting for: usually the stronger),
//! the patient's age and PD, and optionally a material, a thickness limit and a location whose
//! shelf counts. The plugin reads the catalogue's frames (items with a recorded frame size) and
//! the practice's own orders of the last two years with the frame each named, and ranks with
//! [`rank_frames`].
//!
//! A past order's prescription is its stronger eye: the one whose spherical equivalent is
//! furthest from zero (the right eye on a tie), as that eye decides the lens's thickness.

use std::collections::HashMap;

use ils_plugin_sdk::host::inventory::{self, CatalogueItem, Rim as HostRim};
use ils_plugin_sdk::host::reports::{self, DispensingRow, Period};
use ils_plugin_sdk::{Error, Recommendation};
use serde::Deserialize;

use super::{DAY_MS, day_text, figure, history_end, input, refused, words};
use crate::optics::{
    FrameQuery, FrameSku, Material, PastOrder, RankedFrame, Rim, RxInput, StockedFrame, rank_frames,
};

/// Days of orders read for what similar prescriptions chose.
pub const HISTORY_DAYS: i64 = 730;
/// The most order rows one request reads.
const MAX_ROWS: usize = 200_000;

/// What the caller gives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The eye's prescription (its fields at the top level).
    #[serde(flatten)]
    pub rx: RxInput,
    /// The patient's age in years.
    pub age_years: u8,
    /// Binocular pupillary distance in mm.
    pub pd_mm: f64,
    /// A material the dispenser has chosen.
    #[serde(default)]
    pub material: Option<Material>,
    /// One thickness limit for every rim, in mm.
    #[serde(default)]
    pub max_thickness_mm: Option<f64>,
    /// Count only this location's shelf (all locations otherwise).
    #[serde(default)]
    pub location_id: Option<String>,
}

fn rim(r: HostRim) -> Rim {
    match r {
        HostRim::Full => Rim::Full,
        HostRim::SemiRimless => Rim::SemiRimless,
        HostRim::Rimless => Rim::Rimless,
    }
}

/// The catalogue's frames as the ranking reads them, on hand at `location` (or everywhere).
pub fn stocked_frames(items: &[CatalogueItem], location: Option<&str>) -> Vec<StockedFrame> {
    items
        .iter()
        .filter_map(|item| {
            let size = item.frame?;
            let on_hand: i64 = item
                .levels
                .iter()
                .filter(|l| location.is_none_or(|at| l.location_id == at))
                .map(|l| l.on_hand.max(0))
                .sum();
            Some(StockedFrame {
                sku: FrameSku(item.sku.clone()),
                name: item.name.clone(),
                eye_size_mm: f64::from(size.eye_size) / 10.0,
                bridge_mm: f64::from(size.bridge) / 10.0,
                rim: size.rim.map(rim),
                shape: None,
                on_hand: u32::try_from(on_hand).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// The past orders that named one of the frames, each by its stronger eye.
pub fn past_orders(rows: &[DispensingRow], sku_of: &HashMap<&str, &str>) -> Vec<PastOrder> {
    let se = |e: &ils_plugin_sdk::host::clinical::Eye| {
        e.sphere.dioptres() + e.cylinder.map_or(0.0, |c| c.dioptres() / 2.0)
    };
    rows.iter()
        .filter_map(|row| {
            let sku = sku_of.get(row.frame_item_id.as_deref()?)?;
            let eye = if se(&row.left).abs() > se(&row.right).abs() { &row.left } else { &row.right };
            Some(PastOrder {
                spherical_equivalent: se(eye),
                cylinder: eye.cylinder.map_or(0.0, |c| c.dioptres()),
                add: eye.add.is_some(),
                sku: FrameSku((*sku).to_owned()),
            })
        })
        .collect()
}

fn recommendation(rank: usize, frame: RankedFrame, id_of: &HashMap<&str, &str>) -> Recommendation {
    let mut figures = Vec::new();
    if let Some(t) = frame.thickest_mm {
        figures.push(figure("thickest point", t, "mm"));
    }
    figures.push(figure("thickness limit", frame.limit_mm, "mm"));
    figures.push(figure("similar prescriptions chose it", frame.similar_orders as f64, "orders"));
    figures.push(figure("all orders that chose it", frame.all_orders as f64, "orders"));
    let stock = if frame.in_stock { "" } else { " — out of stock" };
    Recommendation {
        subject: id_of.get(frame.sku.0.as_str()).map_or_else(|| frame.sku.0.clone(), |id| (*id).to_owned()),
        title: format!("{} ({}){stock}", frame.name, frame.sku),
        // Best first: 0.9, 0.85, … never below 0.1.
        score: (0.9 - 0.05 * rank as f32).max(0.1),
        explanation: words(&frame.explanation),
        figures,
        action: None,
    }
}

/// The recommendations for one query: the frames that suit, best first.
pub fn recommend(text: &str) -> Result<Vec<Recommendation>, Error> {
    let query: Input = input("frames", text)?;
    let items = inventory::all_items()?;
    let frames = stocked_frames(&items, query.location_id.as_deref());
    if frames.is_empty() {
        return Err(Error::new(
            "frames: no item in the stock has a frame size recorded; record the eye size and bridge \
             of the frames you stock (Stock → Items)",
        ));
    }
    let sku_of: HashMap<&str, &str> =
        items.iter().filter(|i| i.frame.is_some()).map(|i| (i.id.as_str(), i.sku.as_str())).collect();
    let id_of: HashMap<&str, &str> = sku_of.iter().map(|(id, sku)| (*sku, *id)).collect();
    let end = history_end();
    let period = Period::new(day_text(end - HISTORY_DAYS * DAY_MS)?, day_text(end)?);
    let rows = reports::all_pages(MAX_ROWS, |page| reports::dispensing(&period, page))?;
    let ranking = rank_frames(&FrameQuery {
        rx: query.rx,
        age_years: query.age_years,
        pd_mm: query.pd_mm,
        material: query.material,
        max_thickness_mm: query.max_thickness_mm,
        frames,
        history: past_orders(&rows, &sku_of),
    })
    .map_err(refused)?;
    if ranking.suitable.is_empty() {
        return Err(Error::new(format!(
            "frames: none of the {} stocked frames suits this prescription: {}",
            ranking.unsuitable.len(),
            words(&ranking.explanation)
        )));
    }
    Ok(ranking.suitable.into_iter().enumerate().map(|(rank, f)| recommendation(rank, f, &id_of)).collect())
}

#[cfg(test)]
mod tests {
    use ils_optics::Power;
    use ils_plugin_sdk::host::clinical::Eye;
    use ils_plugin_sdk::host::inventory::{FrameSize, StockLevel};

    use super::*;

    fn eye(sphere: f64, cylinder: Option<f64>, add: Option<f64>) -> Eye {
        let p = |d: f64| Power::from_dioptres(d).unwrap();
        Eye { sphere: p(sphere), cylinder: cylinder.map(p), axis: cylinder.map(|_| 90), add: add.map(p) }
    }

    fn row(frame: Option<&str>, right: Eye, left: Eye) -> DispensingRow {
        DispensingRow {
            order_id: "o".into(),
            created_at_ms: 0,
            frame_item_id: frame.map(Into::into),
            lens_type: "single_vision".into(),
            right,
            left,
        }
    }

    #[test]
    fn a_past_order_counts_by_its_stronger_eye_and_only_when_it_named_a_stocked_frame() {
        let sku_of = HashMap::from([("item-1", "CLASSIC")]);
        let rows = [
            // Left SE -4.50 is stronger than right -2.00 (its -1.00 cylinder counts half).
            row(Some("item-1"), eye(-1.5, Some(-1.0), None), eye(-4.0, Some(-1.0), Some(1.0))),
            row(Some("item-9"), eye(-2.0, None, None), eye(-2.0, None, None)),
            row(None, eye(-2.0, None, None), eye(-2.0, None, None)),
        ];
        let past = past_orders(&rows, &sku_of);
        assert_eq!(past.len(), 1, "an unknown or missing frame is not history");
        assert_eq!(past[0].spherical_equivalent, -4.5);
        assert_eq!(past[0].cylinder, -1.0);
        assert!(past[0].add);
        assert_eq!(past[0].sku, FrameSku("CLASSIC".into()));
    }

    #[test]
    fn only_items_with_a_frame_size_are_frames_and_a_location_narrows_the_shelf() {
        let level = |location: &str, on_hand| StockLevel {
            item_id: "i".into(),
            sku: "S".into(),
            location_id: location.into(),
            on_hand,
        };
        let items = [
            CatalogueItem {
                id: "i".into(),
                sku: "S".into(),
                name: "Slim".into(),
                reorder_point: 0,
                levels: vec![level("a", 2), level("b", 5)],
                frame: Some(FrameSize { eye_size: 515, bridge: 180, rim: Some(HostRim::Rimless) }),
            },
            CatalogueItem {
                id: "c".into(),
                sku: "CLOTH".into(),
                name: "Cloth".into(),
                reorder_point: 0,
                levels: vec![level("a", 9)],
                frame: None,
            },
        ];
        let everywhere = stocked_frames(&items, None);
        assert_eq!(everywhere.len(), 1);
        assert_eq!((everywhere[0].eye_size_mm, everywhere[0].bridge_mm), (51.5, 18.0));
        assert_eq!(everywhere[0].rim, Some(Rim::Rimless));
        assert_eq!(everywhere[0].on_hand, 7);
        assert_eq!(stocked_frames(&items, Some("a"))[0].on_hand, 2);
    }
}
