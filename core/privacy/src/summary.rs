//! The export's readable summary: one self-contained HTML page (no script, no external
//! resources), every value escaped.

use std::fmt::Write as _;

use ils_storage::types::Timestamp;

use crate::export::Held;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn opt(value: Option<&str>) -> String {
    value.map(esc).unwrap_or_else(|| "—".to_owned())
}

fn table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("<p>None held.</p>\n");
        return;
    }
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// The summary page of `held`, made at `generated_at`.
pub(crate) fn html(held: &Held, generated_at: Timestamp) -> String {
    let p = &held.patient;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Records held on {first} {last}</title>\
         <style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}}\
         table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #999;padding:.25rem .5rem;\
         text-align:left;vertical-align:top}}</style></head><body>\n\
         <h1>Records held on {first} {last}</h1>\n\
         <p>{practice} holds the records below on you. This summary was made on {at} (UTC) in answer \
         to a subject access request; the JSON files beside it hold the same records in full.</p>\n",
        first = esc(&p.first_name),
        last = esc(&p.last_name),
        practice = esc(&held.practice),
        at = generated_at,
    );
    out.push_str("<h2>Your details</h2>\n");
    let details = vec![
        vec!["Customer number".into(), esc(&p.customer_number)],
        vec!["Name".into(), format!("{} {}", esc(&p.first_name), esc(&p.last_name))],
        vec!["Date of birth".into(), p.date_of_birth.to_string()],
        vec!["NHS number".into(), opt(p.nhs_number.map(|n| n.digits()).as_deref())],
        vec!["E-mail".into(), opt(p.email.as_deref())],
        vec!["Telephone".into(), opt(p.phone.as_deref())],
        vec!["Address".into(), opt(p.address.as_deref())],
        vec!["Postcode".into(), opt(p.postcode.as_deref())],
        vec!["Medical notes".into(), esc(&p.medical_notes)],
        vec!["Registered".into(), p.created_at.to_string()],
        vec!["Kept until".into(), p.retain_until.to_string()],
    ];
    table(&mut out, &["Field", "Value"], details);

    out.push_str("<h2>Eye examinations</h2>\n");
    let rows = held
        .examinations
        .iter()
        .map(|e| {
            vec![
                e.examined_on.to_string(),
                format!("R {} · L {}", opt(e.visual_acuity.right.as_deref()), opt(e.visual_acuity.left.as_deref())),
                format!("R {} · L {}", fmt_opt(e.iop_mmhg.right), fmt_opt(e.iop_mmhg.left)),
                esc(&e.notes),
            ]
        })
        .collect();
    table(&mut out, &["Date", "Visual acuity", "Eye pressure (mmHg)", "Notes"], rows);

    out.push_str("<h2>Prescriptions</h2>\n");
    let rows = held
        .prescriptions
        .iter()
        .map(|rx| {
            vec![
                rx.issued_on.to_string(),
                esc(rx.kind.as_str()),
                esc(&rx.right.written),
                esc(&rx.left.written),
                esc(&rx.prescriber),
            ]
        })
        .collect();
    table(&mut out, &["Issued", "Kind", "Right", "Left", "Prescriber"], rows);

    out.push_str("<h2>Orders</h2>\n");
    let rows = held
        .orders
        .iter()
        .map(|o| {
            let o = &o.order;
            vec![
                esc(&o.number),
                o.created_at.to_string(),
                esc(&o.status.to_string()),
                esc(&o.frame.description),
                format!("{} {}", o.price.amount_minor, esc(&o.price.currency)),
            ]
        })
        .collect();
    table(&mut out, &["Job", "Placed", "Status", "Frame", "Price (minor units)"], rows);

    out.push_str("<h2>Your choices (consent)</h2>\n");
    let rows = held
        .consents
        .iter()
        .map(|c| {
            vec![
                c.recorded_at.to_string(),
                esc(c.kind.as_str()),
                esc(c.choice.as_str()),
                esc(c.source.as_str()),
                esc(&c.wording),
            ]
        })
        .collect();
    table(&mut out, &["Recorded", "About", "Choice", "Given", "Wording"], rows);

    out.push_str("<h2>Who read or changed your record</h2>\n");
    let rows = held
        .access
        .iter()
        .map(|a| {
            let who = match (&a.actor_name, a.actor_role) {
                (Some(name), Some(role)) => format!("{} ({})", esc(name), esc(role.in_words())),
                (Some(name), None) => esc(name),
                _ => esc(a.actor_kind.as_str()),
            };
            vec![a.at.to_string(), who, esc(&a.action)]
        })
        .collect();
    table(&mut out, &["When (UTC)", "Who", "What"], rows);
    out.push_str("</body></html>\n");
    out
}

fn fmt_opt(value: Option<i32>) -> String {
    value.map(|v| v.to_string()).unwrap_or_else(|| "—".to_owned())
}
