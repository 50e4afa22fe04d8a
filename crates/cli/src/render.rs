//! Human-readable output of decisions and classifications.

use std::fmt::Write as _;

use vigil_domain::Law;
use vigil_domain::assess::Assessment;
use vigil_domain::classify::{Classification, Tri};
use vigil_domain::law::{ControlCode, Entry};

fn tri(t: Tri) -> &'static str {
    match t {
        Tri::Met => "met",
        Tri::NotMet => "not met",
        Tri::Unknown => "unknown",
    }
}

pub fn assessment(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "DECISION: {}   (authorisation: {}; risk: {:?})",
        a.decision.as_str().to_uppercase(),
        a.authorisation.kind,
        a.risk
    );
    if let Some(r) = &a.reference {
        let _ = writeln!(
            s,
            "operation {r}, {} on {}",
            a.operation_type.as_str(),
            a.date
        );
    } else {
        let _ = writeln!(s, "{} on {}", a.operation_type.as_str(), a.date);
    }
    let _ = writeln!(s, "\nItems:");
    for i in &a.items {
        let _ = writeln!(
            s,
            "  {} → {} ({})",
            i.id,
            i.decision.as_str(),
            i.authorisation
        );
    }
    if !a.authorisation.conditions.is_empty() {
        let _ = writeln!(s, "\nConditions and duties:");
        for c in &a.authorisation.conditions {
            let _ = writeln!(s, "  - {c}");
        }
    }
    if !a.red_flags.is_empty() {
        let _ = writeln!(s, "\nRed flags:");
        for f in &a.red_flags {
            let _ = writeln!(s, "  ! {}: {}", f.code, f.text);
        }
    }
    let _ = writeln!(s, "\nReasons:");
    for r in &a.reasons {
        let _ = writeln!(s, "  - {r}");
    }
    let _ = writeln!(s, "\nLaw applied:");
    for c in &a.citations {
        let _ = writeln!(s, "  {} {}", c.act, c.provision);
    }
    let _ = writeln!(s, "\nlaw version {}", a.law_version);
    s
}

pub fn classification(law: &Law, c: &Classification) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Candidate Annex I entries (best first):");
    if c.candidates.is_empty() {
        let _ = writeln!(
            s,
            "  none: nothing in the description points to an Annex I entry"
        );
    }
    for cand in &c.candidates {
        let cyber = if cand.cyber_surveillance {
            "  [cyber-surveillance]"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  {:<14} {:.2}  {}{cyber}",
            cand.entry, cand.score, cand.title
        );
        for w in &cand.why {
            let _ = writeln!(s, "                       - {w}");
        }
    }
    if !c.ruled_out.is_empty() {
        let _ = writeln!(s, "\nRuled out by the facts:");
        for r in &c.ruled_out {
            let _ = writeln!(s, "  {:<14} {}", r.entry, r.why);
        }
    }
    let _ = writeln!(
        s,
        "\nCyber-surveillance item (Art. 2(20)): {}",
        c.cyber_surveillance
    );
    let _ = writeln!(
        s,
        "  specially designed: {}; covert surveillance of natural persons: {}; data from ICT systems: {}",
        tri(c.art_2_20.specially_designed),
        tri(c.art_2_20.covert_surveillance_of_natural_persons),
        tri(c.art_2_20.ict_data)
    );
    for r in &c.art_2_20_reasons {
        let _ = writeln!(s, "  - {r}");
    }
    if c.annex_iv {
        let _ = writeln!(
            s,
            "\nThe best candidate is in Annex IV: transfers within the EU need an authorisation (Art. 11(1))."
        );
    }
    if !c.questions.is_empty() {
        let _ = writeln!(s, "\nQuestions that would settle it (answer in \"facts\"):");
        for q in &c.questions {
            let _ = writeln!(s, "  {:<40} {}", q.fact, q.text);
        }
    }
    let _ = writeln!(s, "\nlaw version {}", law.version());
    s
}

pub fn entry(law: &Law, asked: &ControlCode, e: &Entry, exact: bool) -> String {
    let mut s = String::new();
    if exact {
        let _ = writeln!(s, "{}  {}", e.code, e.title);
    } else {
        let _ = writeln!(
            s,
            "{asked}: a sub-item of {}  {} (this category is encoded as headings only)",
            e.code, e.title
        );
    }
    if !e.summary.is_empty() {
        let _ = writeln!(s, "\n{}", e.summary);
    }
    if e.cyber_surveillance {
        let _ = writeln!(s, "\nA listed cyber-surveillance item.");
    }
    if !e.criteria.is_empty() {
        let _ = writeln!(
            s,
            "\nCriteria ({}):",
            if e.match_all { "all of" } else { "any of" }
        );
        for c in &e.criteria {
            let _ = writeln!(s, "  - {}  [{}]", c.text, c.fact);
        }
    }
    if !e.releases.is_empty() {
        let _ = writeln!(s, "\nNot controlled when:");
        for r in &e.releases {
            let _ = writeln!(s, "  - {} ({})  [{}]", r.text, r.provision, r.fact);
        }
    }
    if !e.vocabulary.is_empty() {
        let _ = writeln!(s, "\nTrade terms: {}", e.vocabulary.join(", "));
    }
    if let Some(iv) = law.annex_iv_item(asked) {
        let _ = writeln!(
            s,
            "\nAnnex IV Part {} ({}): intra-EU transfers need an authorisation.",
            iv.part, iv.block
        );
    }
    if law.in_section_i(asked) {
        let _ = writeln!(
            s,
            "Annex II Section I: not covered by EU001, EU003, EU004 or EU007."
        );
    }
    let url = law
        .act(&e.cite.act)
        .map(|a| a.url.clone())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "\nSource: {} {} — {url}{}",
        law.act_name(&e.cite.act),
        e.cite.provision,
        if e.verified { "" } else { " [UNVERIFIED]" }
    );
    s
}

pub fn ugea(law: &Law, u: &vigil_domain::law::Ugea) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}  {}", u.id, u.title);
    let _ = writeln!(
        s,
        "{} {}{}",
        law.act_name(&u.cite.act),
        u.cite.provision,
        if u.verified { "" } else { " [UNVERIFIED]" }
    );
    let _ = writeln!(s, "\n{}", u.summary.trim());
    let types: Vec<&str> = u.export_types.iter().map(|t| t.as_str()).collect();
    let _ = writeln!(s, "\nOperation types: {}", types.join(", "));
    match &u.items {
        None => {
            let _ = writeln!(s, "Items: all of Annex I");
        }
        Some(items) => {
            let codes: Vec<&str> = items.iter().map(|c| c.as_str()).collect();
            let _ = writeln!(s, "Items: {}", codes.join(", "));
        }
    }
    if !u.exclude_items.is_empty() {
        let codes: Vec<&str> = u.exclude_items.iter().map(|c| c.as_str()).collect();
        let _ = writeln!(s, "Excluded items: {}", codes.join(", "));
    }
    if u.exclude_section_i {
        let _ = writeln!(
            s,
            "Excluded: Annex II Section I (incl. every Annex IV item)"
        );
    }
    if !u.destinations.is_empty() {
        let d: Vec<&str> = u.destinations.iter().map(String::as_str).collect();
        let _ = writeln!(s, "Destinations: {}", d.join(", "));
    }
    if !u.destinations_except.is_empty() {
        let d: Vec<&str> = u.destinations_except.iter().map(String::as_str).collect();
        let _ = writeln!(s, "All destinations except: {}", d.join(", "));
    }
    for f in &u.required_facts {
        let _ = writeln!(s, "Requires: {}  [facts.{}]", f.text, f.fact);
    }
    for f in &u.barring_facts {
        let _ = writeln!(s, "Barred: {}  [facts.{}]", f.text, f.fact);
    }
    if !u.duties.is_empty() {
        let _ = writeln!(s, "\nDuties:");
        for d in &u.duties {
            let _ = writeln!(
                s,
                "  - {} ({})",
                d.text,
                d.provision.as_deref().unwrap_or(&u.cite.provision)
            );
        }
    }
    s
}
