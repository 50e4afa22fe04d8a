//! The typst markup of the documents, generated from the model. Every user text goes through
//! [`escape`] (markup) or [`escape_str`] (string literals); nothing else of the user's reaches
//! typst.

use std::fmt::Write as _;

use crate::charts;
use crate::model::{ChainStatus, Dossier, ELEMENTS, IcpEntry, Letter, OperationLine};

/// Escapes a user's text for typst **markup**: every ASCII punctuation character is preceded by
/// a backslash (typst's escape: `\#`, `\*`, `\[`, `\/` …, so no function call, emphasis,
/// heading, list, label, reference, comment, raw block, math or smart quote can start), a line
/// break becomes `#linebreak()`, other control characters become spaces.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("#linebreak()"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes a user's text for a typst **string literal** (between double quotes).
#[must_use]
pub fn escape_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `[escaped text]`: a content block holding the text, for table cells and arguments.
fn cell(text: &str) -> String {
    format!("[{}]", escape(text))
}

/// A label for a decision's contract name.
pub(crate) fn decision_label(decision: &str) -> &str {
    match decision {
        "no_licence_required" => "No licence required",
        "general_authorisation" => "Union general authorisation",
        "notify_authority" => "Notify the authority",
        "licence_required" => "Licence required",
        "hold" => "Hold for review",
        "prohibited" => "Prohibited",
        other => other,
    }
}

const PREAMBLE: &str = r##"#set page(paper: "a4", margin: (x: 2cm, top: 2cm, bottom: 2.2cm), numbering: "1 / 1",
  footer: context [
    #set text(size: 7.5pt, fill: rgb("#555555"))
    Vigil is a tool, not legal advice. Only the texts published in the Official Journal are authentic.
    #h(1fr) #counter(page).display("1 / 1", both: true)
  ])
#set text(font: "Libertinus Serif", size: 10pt, lang: "en")
#set par(justify: false)
#set heading(numbering: "1.1")
#show heading.where(level: 1): it => { pagebreak(weak: true); it }
#set table(stroke: 0.4pt + rgb("#999999"), inset: 4pt)
#show table: set text(size: 8.5pt)
#show table.cell.where(y: 0): set text(weight: "bold")
"##;

/// The markup of the inspection dossier.
#[must_use]
pub fn dossier_markup(d: &Dossier) -> String {
    let mut m = String::with_capacity(32 * 1024 + d.operations.len() * 1500);
    let title = format!("Inspection dossier — {}", d.organisation);
    let _ = writeln!(
        m,
        "#set document(title: \"{}\", author: \"Vigil\")",
        escape_str(&title)
    );
    m.push_str(PREAMBLE);
    cover(&mut m, d);
    m.push_str("#outline(title: [Contents], depth: 2, indent: auto)\n\n");
    element_1(&mut m, d);
    element_2(&mut m, d);
    element_3(&mut m, d);
    element_4(&mut m, d);
    element_5(&mut m, d);
    element_6(&mut m, d);
    element_7(&mut m, d);
    m
}

fn cover(m: &mut String, d: &Dossier) {
    let generated = d
        .generated_at
        .to_offset(time::UtcOffset::UTC)
        .format(&time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    let _ = write!(
        m,
        r##"#page(numbering: none, footer: none)[
#v(3cm)
#text(size: 11pt, fill: rgb("#555555"))[Internal Compliance Programme — Regulation (EU) 2021/821]
#v(0.4cm)
#text(size: 24pt, weight: "bold")[Inspection dossier]
#v(0.2cm)
#text(size: 16pt)[{org}]
#v(1cm)
#grid(columns: (auto, 1fr), column-gutter: 14pt, row-gutter: 8pt,
  [*Period*], [{from} to {to} (inclusive)],
  [*Generated*], [{generated} by {by}],
  [*Law data*], [Vigil law version {law}],
  [*Operations*], [{ops}],
  [*Audit chain*], [{chain}],
)
#v(1cm)
This dossier is arranged by the seven core elements of an internal compliance programme set out
in Commission Recommendation (EU) 2019/1318 of 30 July 2019 (OJ L 205, 5.8.2019, p. 15), which
Regulation (EU) 2021/821 requires of users of global authorisations (Art. 12(4)) and of Union
general export authorisation EU007 (Annex II). It is generated from the records kept in Vigil;
sections say so where Vigil keeps no record.
#v(1fr)
#block(stroke: 0.6pt + rgb("#c62828"), inset: 8pt, radius: 2pt)[
*Not legal advice.* Vigil is a tool, not legal advice. Its decisions rest on the law data of the
version named above; only the texts published in the Official Journal of the European Union are
authentic. The competent authority decides on every authorisation.
]
]
"##,
        org = escape(&d.organisation),
        from = d.from,
        to = d.to,
        generated = escape(&generated),
        by = escape(&d.generated_by),
        law = escape(&d.law_version),
        ops = d.operations.len(),
        chain = escape(&d.audit.chain.line()),
    );
}

fn element_heading(m: &mut String, n: usize, section: &str) {
    let name = ELEMENTS.get(n - 1).copied().unwrap_or("");
    let _ = writeln!(
        m,
        "\n= {}\n#text(size: 8.5pt, fill: rgb(\"#555555\"))[Recommendation (EU) 2019/1318, {}.]\n",
        escape(name),
        escape(section)
    );
}

/// The ICP records of one element, as a table (or a line saying there are none).
fn icp_records(m: &mut String, d: &Dossier, element: u8, kinds: &[&str], none: &str) {
    let records: Vec<&IcpEntry> = d
        .icp
        .iter()
        .filter(|e| e.element == element && (kinds.is_empty() || kinds.contains(&e.kind.as_str())))
        .collect();
    if records.is_empty() {
        let _ = writeln!(m, "_{}_\n", escape(none));
        return;
    }
    m.push_str(
        "#table(columns: (auto, 1.2fr, 1fr, 2.2fr), table.header([Date], [Record], [Person], [Details]),\n",
    );
    for r in records {
        let date = r.date.map(|d| d.to_string()).unwrap_or_default();
        let mut record = format!(
            "*{}*#linebreak(){}",
            escape(&r.title),
            escape(&kind_label(&r.kind))
        );
        if let Some(a) = &r.attachment {
            let _ = write!(record, "#linebreak()Attachment: {}", escape(a));
        }
        let person = if r.person_role.is_empty() {
            escape(&r.person_name)
        } else {
            format!(
                "{}#linebreak()_{}_",
                escape(&r.person_name),
                escape(&r.person_role)
            )
        };
        let mut details = escape(&r.details);
        if !r.recorded_by.is_empty() {
            let _ = write!(
                details,
                "#linebreak()#text(size: 7pt, fill: rgb(\"#555555\"))[Recorded by {}]",
                escape(&r.recorded_by)
            );
        }
        let _ = writeln!(m, "  {}, [{record}], [{person}], [{details}],", cell(&date));
    }
    m.push_str(")\n\n");
}

fn kind_label(kind: &str) -> String {
    match kind {
        "policy" => "Policy".to_owned(),
        "responsible_person" => "Responsible person".to_owned(),
        "training" => "Training".to_owned(),
        "audit" => "Audit or review".to_owned(),
        "other" => "Other record".to_owned(),
        k => k.to_owned(),
    }
}

fn element_1(m: &mut String, d: &Dossier) {
    element_heading(m, 1, "section 2.1");
    m.push_str("The commitment statements and compliance policies adopted by top management.\n\n");
    icp_records(
        m,
        d,
        1,
        &[],
        "No commitment statement or policy is recorded in Vigil.",
    );
}

fn element_2(m: &mut String, d: &Dossier) {
    element_heading(m, 2, "section 2.2");
    m.push_str("== Named responsible persons and the organisation's records\n");
    icp_records(
        m,
        d,
        2,
        &[],
        "No responsible person or organisation record is recorded in Vigil.",
    );
    m.push_str("== Members and their roles in Vigil\n");
    if d.members.is_empty() {
        m.push_str("_No member._\n\n");
        return;
    }
    m.push_str(
        "Roles: _admin_ manages members and settings and has every officer right; _officer_ decides, releases holds and signs; _operator_ enters items, parties and operations; _auditor_ reads everything and changes nothing.\n\n",
    );
    m.push_str("#table(columns: (1fr, 1.3fr, auto), table.header([Name], [E-mail], [Role]),\n");
    for member in &d.members {
        let _ = writeln!(
            m,
            "  {}, {}, {},",
            cell(&member.name),
            cell(&member.email),
            cell(&member.role)
        );
    }
    m.push_str(")\n\n");
}

fn element_3(m: &mut String, d: &Dossier) {
    element_heading(m, 3, "section 2.3");
    icp_records(
        m,
        d,
        3,
        &[],
        "No training or awareness record is recorded in Vigil.",
    );
}

fn element_4(m: &mut String, d: &Dossier) {
    element_heading(m, 4, "section 2.4");
    // 4.1 classification
    m.push_str("== Item classification\n");
    if d.items.is_empty() {
        m.push_str("_No item is recorded._\n\n");
    } else {
        m.push_str("#table(columns: (1.3fr, auto, auto, 1.4fr, auto, 1fr), table.header([Item], [Kind], [Version], [Annex I entries], [Art. 2(20)], [Classified]),\n");
        for item in &d.items {
            if item.classifications.is_empty() {
                let _ = writeln!(
                    m,
                    "  {}, {}, [—], [_not classified_], [—], [—],",
                    cell(&item.name),
                    cell(&item.kind)
                );
            }
            for c in &item.classifications {
                let entries = if c.entries.is_empty() {
                    "not listed".to_owned()
                } else {
                    c.entries.join(", ")
                };
                let _ = writeln!(
                    m,
                    "  {}, {}, {}, {}, [{}], [{}#linebreak(){}#linebreak()law {}],",
                    cell(&item.name),
                    cell(&item.kind),
                    cell(&c.version),
                    cell(&entries),
                    if c.cyber_surveillance { "yes" } else { "no" },
                    escape(&c.at),
                    escape(&c.by),
                    escape(&c.law_version),
                );
            }
        }
        m.push_str(")\n\n");
    }

    // 4.2 risk assessment and licence determination
    m.push_str("== Transaction risk assessment and licence determination\n");
    let _ = writeln!(
        m,
        "{} operations were assessed between {} and {}. Each was assessed on the law data of the version named, its parties screened against the lists named, and any hold released only by an officer.\n",
        d.operations.len(),
        d.from,
        d.to
    );
    charts::operations_per_month(m, d);
    m.push_str("=== Sanctions lists served\n");
    if d.lists.is_empty() {
        m.push_str("_No sanctions list is imported: parties were not screened._\n\n");
    } else {
        m.push_str("#table(columns: (auto, 1fr, auto, auto), table.header([List], [Version], [Imported], [Entries]),\n");
        for l in &d.lists {
            let _ = writeln!(
                m,
                "  {}, {}, {}, [{}],",
                cell(&l.source),
                cell(&l.version),
                cell(&l.imported_at),
                l.entries
            );
        }
        m.push_str(")\n\n");
    }
    m.push_str("=== Screening hits reviewed\n");
    charts::hits_reviewed(m, d);

    m.push_str("=== Due diligence on end users and end uses\n");
    match &d.due_diligence {
        None => m.push_str("_Due-diligence files: not recorded in Vigil._\n\n"),
        Some(files) if files.is_empty() => m.push_str("_No due-diligence file in the period._\n\n"),
        Some(files) => {
            m.push_str("#table(columns: (1fr, auto, auto, 2fr), table.header([Subject], [Status], [Date], [Summary]),\n");
            for f in files {
                let _ = writeln!(
                    m,
                    "  {}, {}, {}, {},",
                    cell(&f.subject),
                    cell(&f.status),
                    cell(&f.on),
                    cell(&f.summary)
                );
            }
            m.push_str(")\n\n");
        }
    }

    m.push_str("=== Operations of the period\n");
    if d.operations.is_empty() {
        m.push_str("_No operation in the period._\n\n");
    } else {
        m.push_str("#table(columns: (auto, auto, auto, auto, 1.4fr, 1fr, auto), table.header([Reference], [Date], [Type], [To], [Items], [Decision], [Status]),\n");
        for o in &d.operations {
            let _ = writeln!(
                m,
                "  {}, [{}], {}, {}, {}, {}, {},",
                cell(&o.reference),
                o.date.map(|d| d.to_string()).unwrap_or_default(),
                cell(&o.export_type),
                cell(&o.destination),
                cell(&o.items),
                cell(decision_label(&o.decision)),
                cell(&o.status),
            );
        }
        m.push_str(")\n\n");
        for o in &d.operations {
            operation_detail(m, o);
        }
    }

    // 4.3 licences
    m.push_str("== Licence determination and application: licences and their use\n");
    match &d.licences {
        None => m.push_str("_Licences and their use: not recorded in Vigil._\n\n"),
        Some(licences) if licences.is_empty() => m.push_str("_No licence is recorded._\n\n"),
        Some(licences) => {
            charts::licence_use(m, licences);
            m.push_str("#table(columns: (auto, auto, 1fr, auto, auto, 1.6fr), table.header([Licence], [Kind], [Authority], [Valid until], [Used], [Draw-downs in the period]),\n");
            for l in licences {
                let used = match l.quota {
                    Some(q) => format!("{} of {} {}", fmt_num(l.used), fmt_num(q), l.unit),
                    None => format!("{} {}", fmt_num(l.used), l.unit),
                };
                let draws = if l.drawdowns.is_empty() {
                    "none".to_owned()
                } else {
                    l.drawdowns.join("\n")
                };
                let _ = writeln!(
                    m,
                    "  {}, {}, {}, {}, {}, {},",
                    cell(&l.reference),
                    cell(&l.kind),
                    cell(&l.authority),
                    cell(&l.valid_until),
                    cell(&used),
                    cell(&draws)
                );
            }
            m.push_str(")\n\n");
        }
    }
    m.push_str("=== Union general export authorisations used\n");
    match &d.general_authorisations {
        None => {
            m.push_str("_Uses of Union general export authorisations: not recorded in Vigil._\n\n")
        }
        Some(uses) if uses.is_empty() => m.push_str("_None recorded._\n\n"),
        Some(uses) => {
            m.push_str("#table(columns: (auto, 1fr, auto, 2fr), table.header([Authorisation], [Operation], [Date], [Notes]),\n");
            for u in uses {
                let _ = writeln!(
                    m,
                    "  {}, {}, {}, {},",
                    cell(&u.code),
                    cell(&u.operation),
                    cell(&u.on),
                    cell(&u.note)
                );
            }
            m.push_str(")\n\n");
        }
    }

    // 4.4 post-licensing controls
    m.push_str("== Post-licensing controls\n");
    let holds: usize = d.operations.iter().map(|o| o.holds.len()).sum();
    let released: usize = d
        .operations
        .iter()
        .flat_map(|o| &o.holds)
        .filter(|h| h.released_on.is_some())
        .count();
    let completed = d
        .operations
        .iter()
        .filter(|o| o.completed_on.is_some())
        .count();
    let _ = writeln!(
        m,
        "Holds put in the period: {holds}; released by an officer: {released}; still open: {}. Exports recorded as carried out: {completed}.\n",
        holds - released
    );
    icp_records(
        m,
        d,
        4,
        &[],
        "No other record of the screening process is recorded in Vigil.",
    );
}

fn operation_detail(m: &mut String, o: &OperationLine) {
    let _ = writeln!(
        m,
        "\n#block(breakable: true, width: 100%, stroke: (left: 1.2pt + {}), inset: (left: 6pt, y: 3pt))[\n*Operation {}* — {} #h(1fr) {}",
        charts::decision_colour(&o.decision),
        escape(&o.reference),
        escape(decision_label(&o.decision)),
        o.date.map(|d| d.to_string()).unwrap_or_default(),
    );
    let _ = writeln!(
        m,
        "#linebreak()#text(size: 8.5pt)[{} to {} · {}]",
        escape(&o.export_type),
        escape(&o.destination),
        escape(&o.items)
    );
    let cites = if o.citations.is_empty() {
        "none".to_owned()
    } else {
        o.citations.join("; ")
    };
    let _ = writeln!(
        m,
        "#linebreak()#text(size: 8.5pt)[_Citations:_ {}]",
        escape(&cites)
    );
    if !o.parties.is_empty() {
        let parties: Vec<String> = o
            .parties
            .iter()
            .map(|p| format!("{} ({}, {})", p.name, p.role, p.country))
            .collect();
        let _ = writeln!(
            m,
            "#linebreak()#text(size: 8.5pt)[_Parties:_ {}]",
            escape(&parties.join("; "))
        );
    }
    let lists = if o.lists_screened.is_empty() {
        "not screened".to_owned()
    } else {
        o.lists_screened.join(", ")
    };
    let _ = writeln!(
        m,
        "#linebreak()#text(size: 8.5pt)[_Lists screened:_ {}]",
        escape(&lists)
    );
    if !o.hits.is_empty() {
        m.push_str("#linebreak()#text(size: 8.5pt)[_Screening hits:_]\n");
        for h in &o.hits {
            let reviewed = if h.reviewed_by.is_empty() {
                String::new()
            } else {
                format!(" — {}", h.reviewed_by)
            };
            let _ = writeln!(
                m,
                "#linebreak()#h(1em)#text(size: 8.5pt)[{}]",
                escape(&format!(
                    "{} ↔ {} ({} {}), score {:.2}: {}{}",
                    h.party, h.listed_name, h.list, h.entry_id, h.score, h.status, reviewed
                ))
            );
        }
    }
    for h in &o.holds {
        let release = match &h.released_on {
            Some(on) => format!(
                "released {on} by {}{}",
                h.released_by,
                if h.release_note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", h.release_note)
                }
            ),
            None => "open".to_owned(),
        };
        let _ = writeln!(
            m,
            "#linebreak()#text(size: 8.5pt)[_Hold_ ({}, {}): {}]",
            escape(&h.cause),
            escape(&h.opened_on),
            escape(&format!("{} — {release}", h.reason))
        );
    }
    if !o.licence_use.is_empty() {
        let _ = writeln!(
            m,
            "#linebreak()#text(size: 8.5pt)[_Licence use:_ {}]",
            escape(&o.licence_use.join("; "))
        );
    }
    let keep = o.retain_until.clone().unwrap_or_else(|| "—".to_owned());
    let done = o
        .completed_on
        .as_ref()
        .map(|c| format!(" · carried out {c}"))
        .unwrap_or_default();
    let _ = writeln!(
        m,
        "#linebreak()#text(size: 8.5pt)[_Keep until_ {}{}]\n]",
        escape(&keep),
        escape(&done)
    );
}

fn element_5(m: &mut String, d: &Dossier) {
    element_heading(m, 5, "section 2.5");
    m.push_str("== Reviews and audits\n");
    icp_records(
        m,
        d,
        5,
        &[],
        "No internal review or audit is recorded in Vigil.",
    );
    m.push_str("== Recorded activity in the period\n");
    if d.audit.actions_in_period.is_empty() {
        m.push_str("_No audit record in the period._\n\n");
    } else {
        m.push_str("#table(columns: (1fr, auto), table.header([Action], [Records]),\n");
        for (action, n) in &d.audit.actions_in_period {
            let _ = writeln!(m, "  {}, [{n}],", cell(action));
        }
        m.push_str(")\n\n");
    }
}

fn element_6(m: &mut String, d: &Dossier) {
    element_heading(m, 6, "section 2.6");
    m.push_str("== Audit trail\n");
    let colour = match d.audit.chain {
        ChainStatus::Intact { .. } => "#2e7d32",
        _ => "#c62828",
    };
    let _ = writeln!(
        m,
        "#block(stroke: 0.8pt + rgb(\"{colour}\"), inset: 6pt)[*{}*]\n",
        escape(&d.audit.chain.line())
    );
    m.push_str(
        "Every change is appended to the organisation's audit log in the same transaction as the change; each row holds the SHA-256 of the previous row and of its own content, so an edited, removed or inserted row breaks the chain from there on. Rows removed from the end of the chain cannot be seen: keep this dossier's count.\n\n",
    );
    m.push_str("== Retention of the operations' records (Art. 27 of Regulation (EU) 2021/821)\n");
    m.push_str("Records of each operation are kept for at least five years from the end of the calendar year in which the export took place (Art. 27(1) and (3)).\n\n");
    if !d.operations.is_empty() {
        m.push_str("#table(columns: (1fr, auto, auto, auto), table.header([Operation], [Assessed], [Carried out], [Keep until]),\n");
        for o in &d.operations {
            let _ = writeln!(
                m,
                "  {}, [{}], {}, {},",
                cell(&o.reference),
                o.date.map(|d| d.to_string()).unwrap_or_default(),
                cell(o.completed_on.as_deref().unwrap_or("—")),
                cell(o.retain_until.as_deref().unwrap_or("—")),
            );
        }
        m.push_str(")\n\n");
    }
    m.push_str("== Record-keeping policies\n");
    icp_records(
        m,
        d,
        6,
        &[],
        "No record-keeping policy is recorded in Vigil.",
    );
}

fn element_7(m: &mut String, d: &Dossier) {
    element_heading(m, 7, "section 2.7");
    icp_records(
        m,
        d,
        7,
        &[],
        "No physical or information security policy is recorded in Vigil.",
    );
}

pub(crate) fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// The markup of a letter.
#[must_use]
pub fn letter_markup(l: &Letter) -> String {
    let mut m = String::with_capacity(4096);
    let _ = writeln!(
        m,
        "#set document(title: \"{}\", author: \"{}\")",
        escape_str(&l.subject),
        escape_str(l.sender.first().map(String::as_str).unwrap_or("Vigil"))
    );
    m.push_str(
        "#set page(paper: \"a4\", margin: (x: 2.5cm, y: 2.5cm))\n#set text(font: \"Libertinus Serif\", size: 11pt, lang: \"en\")\n#set par(justify: true)\n",
    );
    let lines = |v: &[String]| {
        v.iter()
            .map(|s| escape(s))
            .collect::<Vec<_>>()
            .join("#linebreak()")
    };
    let _ = writeln!(m, "{}\n", lines(&l.sender));
    let _ = writeln!(m, "#v(1cm)\n#align(right)[{}]\n", lines(&l.addressee));
    let _ = writeln!(m, "#v(0.6cm)\n#align(right)[{}]\n", escape(&l.place_date));
    if !l.reference.is_empty() {
        let _ = writeln!(m, "Our reference: {}\n", escape(&l.reference));
    }
    let _ = writeln!(m, "*Subject: {}*\n", escape(&l.subject));
    if !l.salutation.is_empty() {
        let _ = writeln!(m, "{}\n", escape(&l.salutation));
    }
    for p in l.paragraphs.iter().filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(m, "{}\n", escape(p));
    }
    if !l.closing.is_empty() {
        let _ = writeln!(m, "{}\n", escape(&l.closing));
    }
    let _ = writeln!(
        m,
        "#v(1.5cm)\n{}#linebreak(){}\n",
        escape(&l.signatory),
        escape(&l.signatory_role)
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_letters_and_escapes_markup() {
        assert_eq!(escape("Acme GmbH"), "Acme GmbH");
        assert_eq!(escape("#box[x]"), "\\#box\\[x\\]");
        assert_eq!(escape("a\nb"), "a#linebreak()b");
        assert_eq!(escape_str("say \"hi\" \\"), "say \\\"hi\\\" \\\\");
    }
}
