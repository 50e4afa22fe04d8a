//! Exports in the sense of Art. 2(2): permanent and temporary exports, re-exports, electronic
//! transmission and making available online.
//!
//! Listed items: Art. 3(1), then the first usable Union general authorisation (Annex II), else an
//! individual (or global) authorisation (Art. 12). Non-listed items: the catch-alls of Art. 4
//! (WMD, embargoed military end use, illegal military parts) and Art. 5 (cyber-surveillance items
//! and internal repression): informed → authorisation; aware → notify and wait.

use super::input::Item;
use super::outcome::{AuthorisationKind, Decision, Outcome};
use super::{Ctx, ugea};
use crate::law::{Concern, OperationType};
use crate::rules;

const ART_4_CONCERNS: [Concern; 3] = [
    Concern::Wmd,
    Concern::MilitaryEmbargo,
    Concern::IllegalMilitaryParts,
];

fn letter(c: Concern) -> &'static str {
    match c {
        Concern::Wmd => "(a)",
        Concern::MilitaryEmbargo => "(b)",
        Concern::IllegalMilitaryParts => "(c)",
        Concern::InternalRepression => "",
    }
}

fn concern_words(c: Concern) -> &'static str {
    match c {
        Concern::Wmd => "a use in connection with weapons of mass destruction or their delivery",
        Concern::MilitaryEmbargo => "a military end use in a destination under an arms embargo",
        Concern::IllegalMilitaryParts => "use as parts of military items exported illegally",
        Concern::InternalRepression => {
            "use in connection with internal repression or serious violations of human rights"
        }
    }
}

/// Cites the definition of the export type (Art. 2(2)).
fn cite_type(ctx: &Ctx<'_>, o: &mut Outcome) {
    let p = match ctx.op.operation_type {
        OperationType::ReExport => "Art. 2(2)(b)",
        OperationType::ElectronicTransmission => "Art. 2(2)(d)",
        _ => "Art. 2(2)(a)",
    };
    Ctx::cite(o, "2021/821", p);
    if ctx.op.operation_type == OperationType::ElectronicTransmission {
        o.reason("Sending software or technology electronically, or making it available to persons outside the Union, is an export (Art. 2(2)(d)).");
    }
}

pub fn apply(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    cite_type(ctx, o);
    if item.is_listed() {
        listed(ctx, item, o);
    } else {
        non_listed(ctx, item, o);
    }
}

fn listed(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    let op = ctx.op;
    let law = ctx.law;
    ctx.rule(o, rules::ART_3_1);
    let mut listed_cyber = false;
    for code in &item.entries {
        if let Some(e) = law
            .entry(code)
            .or_else(|| law.ancestors_of(code).into_iter().next())
        {
            o.cite(e.cite.clone());
            listed_cyber |=
                e.cyber_surveillance || law.ancestors_of(code).iter().any(|a| a.cyber_surveillance);
            if !e.verified {
                o.reason(format!("[UNVERIFIED] Annex I entry {} rests on a text the fact sheet marks unverified.", e.code));
            }
        }
    }
    let codes: Vec<&str> = item.entries.iter().map(|c| c.as_str()).collect();
    o.reason(format!(
        "Listed in Annex I ({}): exporting it always requires an authorisation (Art. 3(1)).",
        codes.join(", ")
    ));
    let concerns = op.all_concerns();
    let repression = concerns.contains(&Concern::InternalRepression);
    // Union general authorisations, in order.
    let mut refusals = Vec::new();
    let mut refused_on_unverified_groups = false;
    for u in law.ugeas() {
        match ugea::usable(ctx, u, item) {
            Ok(()) => {
                o.raise(
                    Decision::GeneralAuthorisation,
                    AuthorisationKind::Ugea(u.id.clone()),
                );
                o.cite(u.cite.clone());
                ctx.rule(o, rules::ANNEX_II);
                o.reason(format!(
                    "{} ({}) covers this item to {}.",
                    u.id, u.title, op.destination
                ));
                for d in ugea::duties(ctx, u) {
                    o.condition(d);
                }
                if !refusals.is_empty() {
                    o.reason(format!("Not usable before it: {}.", refusals.join("; ")));
                }
                if !u.unverified_groups.is_empty() {
                    o.reason(format!(
                        "[UNVERIFIED] {} was checked against the country groups {}, which the fact sheet does not confirm as current.",
                        u.id,
                        u.unverified_groups.join(", ")
                    ));
                }
                if repression {
                    o.reason(format!("The exporter is informed or aware of a risk of internal repression: {} does not bar this, but the exporter should weigh whether to go ahead and may consult the authority.", u.id));
                }
                return;
            }
            Err(why) => {
                // Refused on its destinations, and those rest on a group not verified.
                if ugea::destination_refusal(ctx, u).as_ref() == Some(&why)
                    && ugea::refusal_rests_on_unverified_groups(ctx, u)
                {
                    refused_on_unverified_groups = true;
                }
                refusals.push(format!("{} {why}", u.id));
            }
        }
    }
    let global = op.facts.holds_global_licence;
    let kind = if global {
        AuthorisationKind::Global
    } else {
        AuthorisationKind::Individual
    };
    o.raise(Decision::LicenceRequired, kind);
    ctx.rule(o, rules::ART_12);
    o.reason(format!(
        "No Union general export authorisation is usable: {}.",
        refusals.join("; ")
    ));
    if global {
        o.reason("The exporter holds a global export authorisation: check that it covers these items, this destination and end user.");
        o.condition("Use the global export authorisation within its items, destinations, end users and validity; the exporter must run an internal compliance programme (Art. 12(4)).");
        ctx.rule(o, rules::ART_12_4);
    } else {
        o.condition(format!(
            "Apply to {} for an individual export authorisation, with complete information on the end user, the destination and the end use and an end-use statement (Art. 12(2), 12(4)), unless a national general export authorisation of {} covers the export (Art. 12(1)(c), 12(6)).",
            ctx.authority(),
            op.exporter_country
        ));
        ctx.rule(o, rules::ART_12_4);
    }
    if listed_cyber {
        o.reason("The entry is a listed cyber-surveillance item in Vigil's reading of Art. 2(20); the Commission's annual report gives specific data on applications for such items (Art. 26(2)).");
    }
    if repression {
        o.reason("The exporter is informed or aware of a risk of internal repression: the authority weighs this when deciding (Art. 15(1)(c)); say so in the application.");
        Ctx::cite(o, "2021/821", "Art. 15(1)");
    }
    if refused_on_unverified_groups {
        o.reason("[UNVERIFIED] Some general authorisations were refused on country groups (e.g. arms-embargoed destinations) that the fact sheet does not confirm as current.");
    }
    for c in ART_4_CONCERNS {
        if concerns.contains(&c) {
            o.reason(format!(
                "The exporter is informed or aware of {}: no general authorisation may be used, and the application must say so.",
                concern_words(c)
            ));
        }
    }
}

fn non_listed(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    let op = ctx.op;
    Ctx::cite(o, "2021/821", "Art. 3(2)");
    o.reason("Not listed in Annex I: an authorisation is needed only if a catch-all applies (Art. 3(2)).");
    let embargoed = ctx.law.arms_embargo(&op.destination).is_some()
        || op
            .parties
            .iter()
            .any(|p| ctx.law.arms_embargo(&p.country).is_some());
    for c in ART_4_CONCERNS {
        let provision = format!("Art. 4(1){}", letter(c));
        if op.informed.contains(&c) {
            o.raise(Decision::LicenceRequired, AuthorisationKind::Individual);
            ctx.rule(o, rules::ART_4_1);
            Ctx::cite(o, "2021/821", &provision);
            o.reason(format!(
                "The authority has informed the exporter that the item is or may be intended for {}: an authorisation is required ({provision}).",
                concern_words(c)
            ));
            if c == Concern::MilitaryEmbargo && !embargoed {
                o.reason(format!("Note: {} is not in Vigil's arms-embargo table; the authority's information prevails.", op.destination));
            }
            o.condition(format!(
                "Apply to {} for an individual export authorisation (Art. 4(1), Art. 12).",
                ctx.authority()
            ));
        } else if op.aware.contains(&c) && c == Concern::MilitaryEmbargo && !embargoed {
            Ctx::cite(o, "2021/821", "Art. 4(1)(b)");
            o.reason(format!(
                "The exporter is aware of a military end use, but Art. 4(1)(b) applies only where the purchasing country or the destination is under an arms embargo, and {} is not in Vigil's arms-embargo table (a table the fact sheet marks UNVERIFIED): no notification is due under Art. 4(2) on that ground; check national measures (Art. 4(3), Art. 9) and the national military list.",
                op.destination
            ));
        } else if op.aware.contains(&c) {
            o.raise(Decision::NotifyAuthority, AuthorisationKind::None);
            ctx.rule(o, rules::ART_4_2);
            o.reason(format!(
                "The exporter is aware that the item is intended for {}: it must notify the authority, which decides whether to require an authorisation (Art. 4(2)).",
                concern_words(c)
            ));
            o.condition(format!(
                "Notify {} (Art. 4(2)) and do not export until it has decided.",
                ctx.authority()
            ));
        }
    }
    let repression_informed = op.informed.contains(&Concern::InternalRepression);
    let repression_aware = op.aware.contains(&Concern::InternalRepression);
    if item.cyber_surveillance {
        ctx.rule(o, rules::ART_2_20);
        if repression_informed {
            o.raise(Decision::LicenceRequired, AuthorisationKind::Individual);
            ctx.rule(o, rules::ART_5_1);
            o.reason("A non-listed cyber-surveillance item, and the authority has informed the exporter that it is or may be intended for internal repression or serious violations of human rights and international humanitarian law: an authorisation is required (Art. 5(1)). No Union general authorisation covers non-listed items.");
            o.condition(format!(
                "Apply to {} for an individual export authorisation (Art. 5(1), Art. 12).",
                ctx.authority()
            ));
        } else if repression_aware {
            o.raise(Decision::NotifyAuthority, AuthorisationKind::None);
            ctx.rule(o, rules::ART_5_2);
            Ctx::cite(o, "2024/2659", "Annex");
            o.reason("A non-listed cyber-surveillance item, and the exporter's due diligence shows it is intended for internal repression or serious violations of human rights: the exporter must notify the authority, which decides whether to require an authorisation (Art. 5(2)).");
            o.condition(format!(
                "Notify {} under Art. 5(2), with the due-diligence file (Recommendation (EU) 2024/2659); hold the export until the authority has decided (the Regulation sets no deadline for it).",
                ctx.authority()
            ));
        } else {
            o.reason("A cyber-surveillance item (Art. 2(20)) not listed in Annex I: no authorisation is needed unless the authority informs the exporter, or its due diligence makes it aware, of a risk of internal repression or serious human-rights violations (Art. 5(1)-(2)). Keep the due diligence on file.");
            o.condition("Run and record the Art. 5 due diligence for this transaction (Recommendation (EU) 2024/2659): end user, end use, destination, mitigation.");
        }
    } else {
        not_marked_cyber(ctx, o, repression_informed, repression_aware);
    }
    if o.decision == Decision::NoLicenceRequired
        && !item.cyber_surveillance
        && op.all_concerns().is_empty()
    {
        o.reason("No catch-all applies on the facts given (no information from the authority, no awareness of a use of Art. 4(1) or 5(1)).");
    }
}

/// Art. 5 concerns declared for an item the exporter did not mark as a cyber-surveillance item.
fn not_marked_cyber(
    ctx: &Ctx<'_>,
    o: &mut Outcome,
    repression_informed: bool,
    repression_aware: bool,
) {
    if repression_informed {
        o.raise(Decision::LicenceRequired, AuthorisationKind::Individual);
        ctx.rule(o, rules::ART_5_1);
        o.reason("The authority has informed the exporter that the item is or may be intended for internal repression or serious violations of human rights: an authorisation is required (Art. 5(1)). The item is not marked as a cyber-surveillance item, but the authority's information settles whether Art. 5 applies.");
        o.condition(format!(
            "Apply to {} for an individual export authorisation (Art. 5(1), Art. 12).",
            ctx.authority()
        ));
    }
    if repression_aware {
        o.raise(Decision::Hold, AuthorisationKind::None);
        ctx.rule(o, rules::ART_2_20);
        o.reason("The exporter is aware of a risk of internal repression, but the item is not marked as a cyber-surveillance item (Art. 2(20)): hold until a person has confirmed the classification. If it is one, notify the authority (Art. 5(2)); if not, check national measures (Art. 9).");
    }
}
