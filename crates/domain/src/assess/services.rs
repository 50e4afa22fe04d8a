//! The operation types other than exports: intra-EU transfers (Art. 11, Annex IV), brokering
//! (Art. 6), technical assistance (Art. 8) and transit (Art. 7).

use super::Ctx;
use super::input::Item;
use super::outcome::{AuthorisationKind, Decision, Outcome};
use crate::law::Concern;
use crate::rules;

const ART_4_CONCERNS: [Concern; 3] = [
    Concern::Wmd,
    Concern::MilitaryEmbargo,
    Concern::IllegalMilitaryParts,
];

fn art4_informed(ctx: &Ctx<'_>) -> Vec<Concern> {
    ART_4_CONCERNS
        .into_iter()
        .filter(|c| ctx.op.informed.contains(c))
        .collect()
}

fn art4_aware(ctx: &Ctx<'_>) -> Vec<Concern> {
    ART_4_CONCERNS
        .into_iter()
        .filter(|c| ctx.op.aware.contains(c))
        .collect()
}

fn names(cs: &[Concern]) -> String {
    cs.iter()
        .map(|c| c.as_str().replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cite_entries(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    for code in &item.entries {
        if let Some(e) = ctx
            .law
            .entry(code)
            .or_else(|| ctx.law.ancestors_of(code).into_iter().next())
        {
            o.cite(e.cite.clone());
        }
    }
}

fn repression_not_covered(ctx: &Ctx<'_>, o: &mut Outcome, what: &str, national: &str) {
    if ctx.op.all_concerns().contains(&Concern::InternalRepression) {
        o.reason(format!(
            "A risk of internal repression is declared; the Art. 5 catch-all covers exports only, not {what}. A Member State may extend its controls ({national}): check the national rules before proceeding."
        ));
        super::Ctx::cite(o, "2021/821", national);
    }
}

/// Art. 11 and Annex IV.
pub fn intra_eu_transfer(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    let law = ctx.law;
    let op = ctx.op;
    let annex_iv: Vec<_> = item
        .entries
        .iter()
        .filter_map(|c| {
            law.annex_iv_for(c, &item.relates_to)
                .map(|(i, assumed)| (c, i, assumed))
        })
        .collect();
    if let Some((code, iv, assumed)) = annex_iv.first() {
        let kind = if op.facts.holds_global_licence {
            AuthorisationKind::Global
        } else {
            AuthorisationKind::Individual
        };
        o.raise(Decision::LicenceRequired, kind);
        ctx.rule(o, rules::ART_11_1);
        o.cite(iv.cite.clone());
        o.reason(format!(
            "{code} is listed in Annex IV Part {} ({}): a transfer within the Union needs an authorisation (Art. 11(1)).{}",
            iv.part,
            iv.block,
            iv.scope.as_deref().map(|s| format!(" Scope: {s}.")).unwrap_or_default()
        ));
        if *assumed {
            o.reason(format!("Annex IV lists {code} only in so far as it is for other Annex IV items; the item does not say which equipment it relates to (items[].relates_to), so Vigil assumes it does."));
        }
        if iv.part == "II" {
            o.condition("Annex IV Part II items cannot be covered by a general authorisation: apply for an individual transfer authorisation (Art. 11(1)).");
        } else {
            o.condition(format!(
                "Apply in the Member State of dispatch ({}) for a transfer authorisation, unless a national general authorisation of that State covers this Annex IV Part I item (Art. 11(1), 11(3)).",
                op.exporter_country
            ));
        }
        if !iv.verified {
            o.reason(format!("[UNVERIFIED] Annex IV listing of {code} rests on a text the fact sheet marks unverified."));
        }
    } else if item.is_listed() {
        o.reason("Listed in Annex I but not in Annex IV: no authorisation is needed for a transfer within the Union (Art. 11(1)).");
        ctx.rule(o, rules::ART_11_1);
    } else {
        o.reason("Not listed in Annex I: transfers within the Union are free (Art. 11(1) covers Annex IV items only).");
        ctx.rule(o, rules::ART_11_1);
    }
    if item.is_listed() {
        ctx.rule(o, rules::ART_11_9);
        cite_entries(ctx, item, o);
        o.condition("State clearly on the sales contract, order confirmation, invoice and dispatch note that the items are subject to controls if exported from the Union (Art. 11(9)).");
        if item.entries.iter().any(|c| c.is_cat5_part2()) && annex_iv.is_empty() {
            ctx.rule(o, rules::ART_11_8);
            o.condition("Category 5 Part 2 item: the Member State of dispatch may require additional information on this transfer (Art. 11(8)).");
        }
    }
    if op.facts.final_destination_outside_eu {
        ctx.rule(o, rules::ART_11_2);
        o.reason("The final destination is known to be outside the Union: the Member State of dispatch may require an authorisation for this transfer if the export from its territory would need one (Art. 11(2)).");
        o.condition(format!(
            "Check whether {} applies Art. 11(2) to this transfer.",
            op.exporter_country
        ));
    }
}

/// Art. 6.
pub fn brokering(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    Ctx::cite(o, "2021/821", "Art. 2(7)");
    let informed = art4_informed(ctx);
    let aware = art4_aware(ctx);
    if item.is_listed() {
        cite_entries(ctx, item, o);
        if !informed.is_empty() {
            o.raise(Decision::LicenceRequired, AuthorisationKind::Individual);
            ctx.rule(o, rules::ART_6_1);
            o.reason(format!("Brokering of Annex I items, and the authority has informed the broker of a use of Art. 4(1) ({}): an authorisation is required (Art. 6(1)).", names(&informed)));
            o.condition(format!(
                "Apply to {} for a brokering authorisation (Art. 13).",
                ctx.authority()
            ));
        } else if !aware.is_empty() {
            o.raise(Decision::NotifyAuthority, AuthorisationKind::None);
            ctx.rule(o, rules::ART_6_2);
            o.reason(format!("Brokering of Annex I items, and the broker is aware of a use of Art. 4(1) ({}): it must notify the authority (Art. 6(2)).", names(&aware)));
            o.condition(format!(
                "Notify {} (Art. 6(2)) and do not proceed until it has decided.",
                ctx.authority()
            ));
        } else {
            ctx.rule(o, rules::ART_6_1);
            o.reason("Brokering of Annex I items needs an authorisation only when the broker is informed or aware of a use of Art. 4(1); none is declared (Art. 6(1)-(2)).");
        }
    } else {
        ctx.rule(o, rules::ART_6_1);
        o.reason("Brokering of items not listed in Annex I is not controlled by the Regulation unless the Member State has extended Art. 6(1) to them (Art. 6(3)).");
        if !informed.is_empty() || !aware.is_empty() {
            o.raise(Decision::Hold, AuthorisationKind::None);
            Ctx::cite(o, "2021/821", "Art. 6(3)");
            o.reason(format!("A use of Art. 4(1) is declared ({}): hold and ask the authority whether it applies Art. 6(3) or 6(4).", names(&[informed, aware].concat())));
        }
    }
    repression_not_covered(ctx, o, "brokering", "Art. 6(3)");
}

/// Art. 8.
pub fn technical_assistance(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    let op = ctx.op;
    let law = ctx.law;
    Ctx::cite(o, "2021/821", "Art. 2(9)");
    let exemption = if law.in_group("art_8_3_a", &op.destination) {
        Some((
            "Art. 8(3)(a)",
            format!(
                "it is provided in or into {}, an Annex II Section A Part 2 country",
                op.destination
            ),
        ))
    } else if op.facts.public_domain || op.facts.basic_scientific_research {
        Some((
            "Art. 8(3)(b)",
            "it transfers information in the public domain or basic scientific research".to_owned(),
        ))
    } else if op.facts.minimum_for_authorised_items {
        Some(("Art. 8(3)(f)", "it is the minimum needed to install, operate, maintain or repair items whose export was authorised".to_owned()))
    } else {
        None
    };
    let informed = art4_informed(ctx);
    let aware = art4_aware(ctx);
    if item.is_listed() {
        cite_entries(ctx, item, o);
        o.reason("Any technology passed on in the assistance (drawings, source code, training material, even orally over the phone) is itself an export when it goes outside the Union: assess it as an electronic_transmission too (Art. 2(2)(d)).");
        o.condition("Check the technology handed over during the assistance as an export of its own (Art. 2(2)(d)); a general authorisation such as EU001 carries its own duties.");
        if let Some((provision, why)) = &exemption {
            ctx.rule(o, rules::ART_8_3);
            Ctx::cite(o, "2021/821", provision);
            o.reason(format!("Technical assistance for Annex I items needs no authorisation because {why} ({provision})."));
        } else if !informed.is_empty() {
            o.raise(Decision::LicenceRequired, AuthorisationKind::Individual);
            ctx.rule(o, rules::ART_8_1);
            o.reason(format!("Technical assistance for Annex I items, and the authority has informed the provider of a use of Art. 4(1) ({}): an authorisation is required (Art. 8(1)).", names(&informed)));
            o.condition(format!(
                "Apply to {} for a technical-assistance authorisation (Art. 13).",
                ctx.authority()
            ));
        } else if !aware.is_empty() {
            o.raise(Decision::NotifyAuthority, AuthorisationKind::None);
            ctx.rule(o, rules::ART_8_2);
            o.reason(format!("Technical assistance for Annex I items, and the provider is aware of a use of Art. 4(1) ({}): it must notify the authority (Art. 8(2)).", names(&aware)));
            o.condition(format!(
                "Notify {} (Art. 8(2)) and do not proceed until it has decided.",
                ctx.authority()
            ));
        } else {
            ctx.rule(o, rules::ART_8_1);
            o.reason("Technical assistance for Annex I items needs an authorisation only when the provider is informed or aware of a use of Art. 4(1); none is declared (Art. 8(1)-(2)).");
        }
    } else {
        ctx.rule(o, rules::ART_8_1);
        o.reason("Technical assistance for items not listed in Annex I is not controlled by the Regulation unless the Member State has extended Art. 8(1) to them (Art. 8(4)).");
        if exemption.is_none() && (!informed.is_empty() || !aware.is_empty()) {
            o.raise(Decision::Hold, AuthorisationKind::None);
            Ctx::cite(o, "2021/821", "Art. 8(4)");
            o.reason(format!("A use of Art. 4(1) is declared ({}): hold and ask the authority whether it applies Art. 8(4) or 8(5).", names(&[informed, aware].concat())));
        }
    }
    repression_not_covered(ctx, o, "technical assistance", "Art. 8(4)");
}

/// Art. 7.
pub fn transit(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    Ctx::cite(o, "2021/821", "Art. 2(11)");
    let concerns: Vec<Concern> = [art4_informed(ctx), art4_aware(ctx)].concat();
    if item.is_listed() {
        cite_entries(ctx, item, o);
        ctx.rule(o, rules::ART_7);
        if concerns.is_empty() {
            o.reason("Transit of non-Union Annex I items is free unless the Member State of transit prohibits it or makes it subject to authorisation because of a use of Art. 4(1); none is declared (Art. 7(1)-(2)).");
        } else {
            o.raise(Decision::Hold, AuthorisationKind::None);
            o.reason(format!("Transit of Annex I items with a declared use of Art. 4(1) ({}): the Member State of transit may prohibit it or require an authorisation (Art. 7(1)-(2)); hold and inform its authority.", names(&concerns)));
            o.condition("Inform the authority of the Member State of transit and wait for its decision (Art. 7(2)).");
        }
    } else {
        ctx.rule(o, rules::ART_7);
        o.reason("Transit of items not listed in Annex I is not controlled by the Regulation unless the Member State has extended Art. 7(1) to them (Art. 7(3)).");
        if !concerns.is_empty() {
            o.raise(Decision::Hold, AuthorisationKind::None);
            Ctx::cite(o, "2021/821", "Art. 7(3)");
            o.reason(format!("A use of Art. 4(1) is declared ({}): hold and ask the authority of the Member State of transit.", names(&concerns)));
        }
    }
}
