//! Charts drawn in typst markup from the data (rectangles in grids): operations per month by
//! decision (stacked bars), screening hits by review status, licence use.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::markup::{decision_label, escape, fmt_num};
use crate::model::{Dossier, LicenceLine};

/// The decisions in the order the bars stack them (bottom first).
const DECISIONS: [&str; 6] = [
    "no_licence_required",
    "general_authorisation",
    "licence_required",
    "notify_authority",
    "hold",
    "prohibited",
];

/// The typst colour of a decision.
pub(crate) fn decision_colour(decision: &str) -> &'static str {
    match decision {
        "no_licence_required" => "rgb(\"#2e7d32\")",
        "general_authorisation" => "rgb(\"#00838f\")",
        "licence_required" => "rgb(\"#f9a825\")",
        "notify_authority" => "rgb(\"#ef6c00\")",
        "hold" => "rgb(\"#6a1b9a\")",
        "prohibited" => "rgb(\"#c62828\")",
        _ => "rgb(\"#9e9e9e\")",
    }
}

/// Tallest bar, in points.
const BAR_HEIGHT: f64 = 90.0;
/// Width available for a chart, in points (A4 less margins).
const CHART_WIDTH: f64 = 470.0;

fn legend(m: &mut String, decisions: &[&str]) {
    m.push_str("#text(size: 7.5pt)[");
    for d in decisions {
        let _ = write!(
            m,
            "#box(rect(width: 7pt, height: 7pt, fill: {}, stroke: none)) {} #h(8pt) ",
            decision_colour(d),
            escape(decision_label(d))
        );
    }
    m.push_str("]\n\n");
}

/// Operations per month (or per year, over more than three years) by decision, stacked bars.
pub(crate) fn operations_per_month(m: &mut String, d: &Dossier) {
    if d.operations.is_empty() {
        return;
    }
    let months = months_between(d.from, d.to);
    let by_year = months.len() > 36;
    let buckets: Vec<(i32, u8)> = if by_year {
        let mut years: Vec<(i32, u8)> = months.iter().map(|(y, _)| (*y, 0)).collect();
        years.dedup();
        years
    } else {
        months
    };
    let mut counts: BTreeMap<(i32, u8), BTreeMap<&str, u64>> = BTreeMap::new();
    for o in &d.operations {
        let Some(date) = o.date else { continue };
        let key = if by_year {
            (date.year(), 0)
        } else {
            (date.year(), u8::from(date.month()))
        };
        let decision = DECISIONS
            .iter()
            .find(|x| **x == o.decision)
            .copied()
            .unwrap_or("other");
        *counts.entry(key).or_default().entry(decision).or_default() += 1;
    }
    let max = counts
        .values()
        .map(|c| c.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = buckets.len().max(1);
    #[allow(clippy::cast_precision_loss)]
    let width = (CHART_WIDTH / n as f64 - 4.0).clamp(3.0, 24.0);
    let mut present: Vec<&str> = Vec::new();
    let _ = writeln!(
        m,
        "#figure(caption: [Operations per {} by decision ({} to {})])[\n#grid(columns: {n}, column-gutter: 4pt, row-gutter: 3pt, align: center + bottom,",
        if by_year { "year" } else { "month" },
        d.from,
        d.to
    );
    for key in &buckets {
        let mut stack: Vec<String> = Vec::new();
        let mut total = 0u64;
        if let Some(c) = counts.get(key) {
            for dec in DECISIONS.iter().copied().chain(std::iter::once("other")) {
                let Some(&k) = c.get(dec) else { continue };
                if !present.contains(&dec) {
                    present.push(dec);
                }
                total += k;
                #[allow(clippy::cast_precision_loss)]
                let h = (k as f64 / max as f64 * BAR_HEIGHT).max(1.0);
                stack.push(format!(
                    "rect(width: {width:.1}pt, height: {h:.1}pt, fill: {}, stroke: none)",
                    decision_colour(dec)
                ));
            }
        }
        stack.push(format!("text(size: 6pt)[{total}]"));
        let _ = writeln!(m, "  stack(dir: btt, spacing: 0pt, {}),", stack.join(", "));
    }
    for (y, mo) in &buckets {
        let label = if by_year {
            format!("{y}")
        } else {
            format!("{:02}/{:02}", mo, y.rem_euclid(100))
        };
        let _ = writeln!(m, "  text(size: 6pt)[{}],", escape(&label));
    }
    m.push_str(")\n]\n");
    present.sort_by_key(|p| {
        DECISIONS
            .iter()
            .position(|d| d == p)
            .unwrap_or(DECISIONS.len())
    });
    legend(m, &present);
}

fn months_between(from: time::Date, to: time::Date) -> Vec<(i32, u8)> {
    let mut out = Vec::new();
    let (mut y, mut mo) = (from.year(), u8::from(from.month()));
    let end = (to.year(), u8::from(to.month()));
    while (y, mo) <= end && out.len() < 1200 {
        out.push((y, mo));
        if mo == 12 {
            y += 1;
            mo = 1;
        } else {
            mo += 1;
        }
    }
    out
}

/// Screening hits on the parties of the period's operations, by review status (each hit once).
pub(crate) fn hits_reviewed(m: &mut String, d: &Dossier) {
    let mut seen = std::collections::BTreeSet::new();
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for h in d.operations.iter().flat_map(|o| &o.hits) {
        if seen.insert((&h.party, &h.list, &h.entry_id)) {
            *by_status.entry(h.status.as_str()).or_default() += 1;
        }
    }
    if by_status.is_empty() {
        m.push_str("_No screening hit on the parties of the period's operations._\n\n");
        return;
    }
    let max = by_status.values().copied().max().unwrap_or(1).max(1);
    m.push_str("#figure(caption: [Screening hits by review status])[\n#grid(columns: (auto, auto, auto), column-gutter: 6pt, row-gutter: 4pt, align: left + horizon,\n");
    for (status, n) in &by_status {
        let colour = match *status {
            "cleared" => "rgb(\"#2e7d32\")",
            "confirmed" => "rgb(\"#c62828\")",
            _ => "rgb(\"#f9a825\")",
        };
        #[allow(clippy::cast_precision_loss)]
        let w = (*n as f64 / max as f64 * 250.0).max(1.0);
        let _ = writeln!(
            m,
            "  text(size: 8pt)[{}], rect(width: {w:.1}pt, height: 9pt, fill: {colour}, stroke: none), text(size: 8pt)[{n}],",
            escape(status)
        );
    }
    m.push_str(")\n]\n\n");
}

/// Use of each licence with a quantitative limit, as a share of it.
pub(crate) fn licence_use(m: &mut String, licences: &[LicenceLine]) {
    let limited: Vec<&LicenceLine> = licences
        .iter()
        .filter(|l| l.quota.is_some_and(|q| q > 0.0))
        .collect();
    if limited.is_empty() {
        return;
    }
    m.push_str("#figure(caption: [Use of licences with a quantitative limit])[\n#grid(columns: (auto, auto, auto), column-gutter: 6pt, row-gutter: 4pt, align: left + horizon,\n");
    for l in limited {
        let quota = l.quota.unwrap_or(1.0);
        let share = (l.used / quota).clamp(0.0, 1.0);
        let colour = if share >= 0.9 {
            "rgb(\"#c62828\")"
        } else {
            "rgb(\"#00838f\")"
        };
        let _ = writeln!(
            m,
            "  text(size: 8pt)[{}], box(width: 250pt, height: 9pt, fill: rgb(\"#e0e0e0\"))[#place(rect(width: {:.1}pt, height: 9pt, fill: {colour}, stroke: none))], text(size: 8pt)[{}],",
            escape(&l.reference),
            (share * 250.0).max(0.5),
            escape(&format!(
                "{} of {} {} ({:.0} %)",
                fmt_num(l.used),
                fmt_num(quota),
                l.unit,
                share * 100.0
            ))
        );
    }
    m.push_str(")\n]\n\n");
}
