//! The draft of an Art. 5(2) notification: when a due-diligence file concludes "aware", the
//! exporter must tell the competent authority of its Member State (Art. 5(2) of Regulation (EU)
//! 2021/821), which decides whether the export needs an authorisation; no export until it has
//! answered. Vigil drafts the letter in the authority's language (from `law/rules.toml`: French
//! for the SBDU, German for BAFA, English otherwise) with the operation, the item, the parties,
//! the findings and the attachments; the officer reviews, signs and sends it.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::assess::{FieldError, InputError};
use crate::due_diligence::RaisedFlag;
use crate::law::Law;

/// A party named in the notification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeParty {
    /// Role (`end_user`, `consignee` …).
    pub role: String,
    /// Name.
    pub name: String,
    /// ISO country.
    pub country: String,
}

/// An item named in the notification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeItem {
    /// Name.
    pub name: String,
    /// Version or release.
    pub version: String,
    /// Description.
    pub description: String,
    /// Annex I entries (empty: not listed).
    pub entries: Vec<String>,
}

/// What the notification is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeInput {
    /// The exporter's name.
    pub exporter: String,
    /// The exporter's Member State (ISO): chooses the authority.
    pub exporter_country: String,
    /// The authority's name when the law data has none for the exporter's country.
    #[serde(default)]
    pub authority: Option<String>,
    /// The operation's reference.
    pub reference: String,
    /// The operation type (contract name).
    pub operation_type: String,
    /// Destination (ISO).
    pub destination: String,
    /// The items.
    pub items: Vec<NoticeItem>,
    /// The parties.
    pub parties: Vec<NoticeParty>,
    /// The stated end use.
    pub end_use: String,
    /// The red flags of the due-diligence file.
    pub findings: Vec<RaisedFlag>,
    /// The officer's reasons for concluding "aware".
    pub justification: String,
    /// Attachment file names.
    pub attachments: Vec<String>,
    /// The signing officer.
    pub signer: String,
    /// The date of the letter (`YYYY-MM-DD`).
    pub date: String,
}

/// A drafted notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeDraft {
    /// The authority written to.
    pub authority: String,
    /// Its name is confirmed in a primary source.
    pub authority_verified: bool,
    /// The letter's language (`fr`, `de`, `en`).
    pub language: String,
    /// Subject line.
    pub subject: String,
    /// The letter.
    pub body: String,
}

/// The fixed words of a letter in one language.
struct Words {
    subject: &'static str,
    opening: &'static str,
    operation: &'static str,
    reference: &'static str,
    kind: &'static str,
    destination: &'static str,
    items: &'static str,
    not_listed: &'static str,
    parties: &'static str,
    end_use: &'static str,
    findings: &'static str,
    reasons: &'static str,
    attachments: &'static str,
    none: &'static str,
    closing: &'static str,
}

const EN: Words = Words {
    subject: "Notification under Article 5(2) of Regulation (EU) 2021/821",
    opening: "Under Article 5(2) of Regulation (EU) 2021/821, we notify you that our due diligence has made us aware that the cyber-surveillance items described below are or may be intended, in their entirety or in part, for use in connection with internal repression and/or the commission of serious violations of international human rights and international humanitarian law. We will not carry out the export until you have decided whether it is subject to authorisation.",
    operation: "Operation",
    reference: "Reference",
    kind: "Type",
    destination: "Destination",
    items: "Items",
    not_listed: "not listed in Annex I",
    parties: "Parties",
    end_use: "Stated end use",
    findings: "Findings of our due diligence",
    reasons: "Our reasons",
    attachments: "Attachments",
    none: "none",
    closing: "We remain at your disposal for any further information.",
};

const FR: Words = Words {
    subject: "Notification au titre de l'article 5, paragraphe 2, du règlement (UE) 2021/821",
    opening: "En application de l'article 5, paragraphe 2, du règlement (UE) 2021/821, nous vous informons que nos diligences nous ont conduits à avoir connaissance que les biens de cybersurveillance décrits ci-dessous sont ou peuvent être destinés, entièrement ou en partie, à être utilisés dans le cadre d'actes de répression interne et/ou de violations graves des droits de l'homme et du droit international humanitaire. Nous ne procéderons pas à l'exportation avant votre décision sur la nécessité d'une autorisation.",
    operation: "Opération",
    reference: "Référence",
    kind: "Nature",
    destination: "Destination",
    items: "Biens",
    not_listed: "non inscrit à l'annexe I",
    parties: "Parties",
    end_use: "Utilisation finale déclarée",
    findings: "Constats de nos diligences",
    reasons: "Nos motifs",
    attachments: "Pièces jointes",
    none: "aucune",
    closing: "Nous restons à votre disposition pour tout complément d'information.",
};

const DE: Words = Words {
    subject: "Unterrichtung nach Artikel 5 Absatz 2 der Verordnung (EU) 2021/821",
    opening: "Gemäß Artikel 5 Absatz 2 der Verordnung (EU) 2021/821 teilen wir Ihnen mit, dass uns aufgrund unserer Sorgfaltsprüfung bekannt ist, dass die unten beschriebenen Güter für digitale Überwachung ganz oder teilweise für eine Verwendung im Zusammenhang mit interner Repression und/oder der Begehung schwerwiegender Verstöße gegen die internationalen Menschenrechtsnormen und das humanitäre Völkerrecht bestimmt sind oder bestimmt sein können. Wir werden die Ausfuhr nicht durchführen, bevor Sie entschieden haben, ob sie genehmigungspflichtig ist.",
    operation: "Vorgang",
    reference: "Referenz",
    kind: "Art",
    destination: "Bestimmungsland",
    items: "Güter",
    not_listed: "nicht in Anhang I gelistet",
    parties: "Beteiligte",
    end_use: "Angegebene Endverwendung",
    findings: "Ergebnisse unserer Sorgfaltsprüfung",
    reasons: "Unsere Gründe",
    attachments: "Anlagen",
    none: "keine",
    closing: "Für Rückfragen stehen wir Ihnen gern zur Verfügung.",
};

/// Drafts the notification.
///
/// # Errors
/// [`InputError`]: no authority known for the exporter's country and none given (`authority`),
/// an exporter outside the Union (`exporter_country`), no item (`items`), no reasons
/// (`justification`), no signer (`signer`).
pub fn draft_notification(law: &Law, input: &NoticeInput) -> Result<NoticeDraft, InputError> {
    let mut errors = Vec::new();
    let mut err = |path: &str, message: &str| {
        errors.push(FieldError {
            path: path.to_owned(),
            message: message.to_owned(),
        });
    };
    if !law.in_group("eu", &input.exporter_country) {
        err(
            "exporter_country",
            "an EU Member State (the authority notified is the one of the exporter's Member State, Art. 5(2))",
        );
    }
    let known = law.authority(&input.exporter_country);
    let given = input
        .authority
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if known.is_none() && given.is_none() {
        err(
            "authority",
            "Vigil knows no competent authority for this Member State: enter its name (see the list published under Art. 23(1), OJ C)",
        );
    }
    if input.items.is_empty() {
        err("items", "at least one item");
    }
    if input.justification.trim().is_empty() {
        err("justification", "the reasons for concluding \"aware\"");
    }
    if input.signer.trim().is_empty() {
        err("signer", "the officer who signs");
    }
    if !errors.is_empty() {
        return Err(InputError { errors });
    }
    let (authority, verified, language) = match (given, known) {
        (Some(name), _) => (
            name.to_owned(),
            false,
            known.map_or("en", |a| a.language.as_str()).to_owned(),
        ),
        (None, Some(a)) => (a.name.clone(), a.verified, a.language.clone()),
        (None, None) => (String::new(), false, "en".to_owned()),
    };
    let w = match language.as_str() {
        "fr" => &FR,
        "de" => &DE,
        _ => &EN,
    };
    let mut b = String::new();
    let _ = writeln!(b, "{}\n{}\n", input.exporter, input.date);
    let _ = writeln!(b, "{authority}\n");
    let _ = writeln!(b, "{}: {}\n", w.subject, input.reference);
    let _ = writeln!(b, "{}\n", w.opening);
    let _ = writeln!(b, "1. {}", w.operation);
    let _ = writeln!(b, "   {}: {}", w.reference, input.reference);
    let _ = writeln!(b, "   {}: {}", w.kind, input.operation_type);
    let _ = writeln!(b, "   {}: {}\n", w.destination, input.destination);
    let _ = writeln!(b, "2. {}", w.items);
    for i in &input.items {
        let entries = if i.entries.is_empty() {
            w.not_listed.to_owned()
        } else {
            i.entries.join(", ")
        };
        let _ = writeln!(
            b,
            "   - {} {} ({entries}): {}",
            i.name, i.version, i.description
        );
    }
    let _ = writeln!(b, "\n3. {}", w.parties);
    for p in &input.parties {
        let _ = writeln!(b, "   - {}: {} ({})", p.role, p.name, p.country);
    }
    let _ = writeln!(b, "\n4. {}: {}\n", w.end_use, input.end_use);
    let _ = writeln!(b, "5. {}", w.findings);
    if input.findings.is_empty() {
        let _ = writeln!(b, "   {}", w.none);
    }
    for f in &input.findings {
        let _ = writeln!(b, "   - [{}] {} ({})", f.code, f.text, f.source);
    }
    let _ = writeln!(b, "\n6. {}: {}\n", w.reasons, input.justification.trim());
    let _ = writeln!(
        b,
        "7. {}: {}\n",
        w.attachments,
        if input.attachments.is_empty() {
            w.none.to_owned()
        } else {
            input.attachments.join(", ")
        }
    );
    let _ = writeln!(b, "{}\n\n{}", w.closing, input.signer);
    Ok(NoticeDraft {
        authority,
        authority_verified: verified,
        language,
        subject: format!("{}: {}", w.subject, input.reference),
        body: b,
    })
}
