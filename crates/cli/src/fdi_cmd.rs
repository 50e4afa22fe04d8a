//! `vigil fdi FILE`: does an investment in a French company need the prior authorisation of the
//! Minister of the Economy (French foreign-investment screening, `law/fr-fdi.toml`)?

use std::fmt::Write as _;
use std::path::PathBuf;

use vigil_domain::fdi::{FdiAssessment, FdiQuestionnaire, assess_fdi};

use crate::{Failure, input_failure, load_law, print_json, read_input};

/// Reads the questionnaire, answers, prints.
pub(crate) fn run(file: &PathBuf, json: bool) -> Result<(), Failure> {
    let (name, text) = read_input(file)?;
    let q: FdiQuestionnaire = {
        let de = &mut serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            Failure::Input(format!(
                "{name}: invalid input\n  at {}: {}",
                if path == "." { String::new() } else { path },
                e.inner()
            ))
        })?
    };
    let law = load_law()?;
    let a = assess_fdi(&law, &q).map_err(|e| input_failure(&name, &e))?;
    if json {
        print_json(&a)
    } else {
        print!("{}", render(&a));
        Ok(())
    }
}

/// The answer as text.
pub(crate) fn render(a: &FdiAssessment) -> String {
    let mut s = String::new();
    let outcome = match a.outcome.as_str() {
        "authorisation_required" => "PRIOR AUTHORISATION REQUIRED (Minister of the Economy)",
        "notification_required" => "PRIOR NOTIFICATION REQUIRED (Minister of the Economy)",
        _ => "NO PRIOR AUTHORISATION REQUIRED",
    };
    let _ = writeln!(s, "French foreign-investment screening: {outcome}");
    if !a.foreign_members.is_empty() {
        let _ = writeln!(s, "\nForeign investor:");
        for m in &a.foreign_members {
            let _ = writeln!(s, "  - {m}");
        }
    }
    let _ = writeln!(s, "\nReasons:");
    for r in &a.reasons {
        let _ = writeln!(s, "  - {r}");
    }
    if !a.deadlines.is_empty() {
        let _ = writeln!(s, "\nProcedure and time limits:");
        for d in &a.deadlines {
            let _ = writeln!(
                s,
                "  - {} ({} days, {}): {}",
                d.record.id, d.days, d.day_kind, d.record.text
            );
        }
    }
    if !a.consequences.is_empty() {
        let _ = writeln!(s, "\nWithout the authorisation:");
        for c in &a.consequences {
            let _ = writeln!(s, "  - {}", c.text);
        }
    }
    let _ = writeln!(s, "\nCitations:");
    for c in &a.citations {
        let _ = writeln!(s, "  - {c}");
    }
    let _ = writeln!(s, "\n{}", a.verification);
    s
}
