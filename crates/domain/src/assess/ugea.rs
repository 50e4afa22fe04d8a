//! Union general export authorisations (Annex II): is one usable for this item and operation?
//! The conditions are data (`law/annex-ii.toml`); this module only interprets them.

use super::Ctx;
use super::input::{Item, ItemKind, PartyRole};
use crate::law::{ControlCode, Group, Ugea};
use crate::text::with_first;

/// Why a UGEA cannot be used (first reason found), or `Ok` when it can.
pub fn usable(ctx: &Ctx<'_>, u: &Ugea, item: &Item) -> Result<(), String> {
    let op = ctx.op;
    if !u.in_force.contains(op.date) {
        return Err(format!("not in force on {}", op.date));
    }
    if !u.export_types.contains(&op.operation_type) {
        return Err(format!(
            "does not cover operations of type {}",
            op.operation_type.as_str().replace('_', " ")
        ));
    }
    if let Some(why) = destination_refusal(ctx, u) {
        return Err(why);
    }
    for code in &item.entries {
        item_covered(ctx, u, item, code)?;
    }
    let concerns = op.all_concerns();
    if let Some(c) = u.barred_concerns.iter().find(|c| concerns.contains(c)) {
        return Err(format!(
            "not usable when the exporter is informed or aware of a {} concern",
            c.as_str().replace('_', " ")
        ));
    }
    if let Some(t) = op
        .end_user_type
        .filter(|t| u.barred_end_user_types.contains(t))
    {
        return Err(format!(
            "not usable for a {} end user",
            t.as_str().replace('_', " ")
        ));
    }
    if !u.barred_end_user_types.is_empty() {
        let found = super::red_flags::security_indicators(ctx);
        if !found.is_empty() {
            return Err(format!(
                "not usable for military, police, intelligence or security end uses, and the end use or a party's name suggests one ({}); clear this first",
                found.join(", ")
            ));
        }
    }
    for f in &u.required_facts {
        if !op.fact(&f.fact) {
            return Err(format!(
                "requires that {} (facts.{} is not true)",
                with_first(&f.text, false),
                f.fact
            ));
        }
    }
    for f in &u.barring_facts {
        if op.fact(&f.fact) {
            return Err(format!(
                "{} (facts.{} is true)",
                with_first(&f.text, false),
                f.fact
            ));
        }
    }
    if let Some(max) = u.max_return_days {
        match op.facts.return_within_days {
            None => {
                return Err(format!(
                    "requires return within {max} days (facts.return_within_days not given)"
                ));
            }
            Some(d) if d > max => {
                return Err(format!(
                    "requires return within {max} days, the operation says {d}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Why the UGEA's destinations rule the operation out (the country of destination or a
/// recipient elsewhere), or `None`.
/// True when a destination refusal of `u` rests only on country groups the fact sheet does not
/// verify: every refused country (the destination, and recipients outside the Union) is outside
/// the authorisation only through an unverified group.
pub fn refusal_rests_on_unverified_groups(ctx: &Ctx<'_>, u: &Ugea) -> bool {
    let op = ctx.op;
    let recipients = op.parties.iter().filter(|p| {
        matches!(
            p.role,
            PartyRole::Consignee
                | PartyRole::EndUser
                | PartyRole::IntermediateConsignee
                | PartyRole::Distributor
                | PartyRole::Reseller
                | PartyRole::Subsidiary
        ) && !ctx.law.in_group("eu", &p.country)
    });
    let mut refused_any = false;
    for c in std::iter::once(&op.destination).chain(recipients.map(|p| &p.country)) {
        let not_included = !u.destinations.is_empty() && !u.destinations.contains(c);
        let excluded = u.destinations_except.contains(c);
        if !not_included && !excluded {
            continue;
        }
        refused_any = true;
        if (excluded && !u.excluded_only_unverified.contains(c))
            || (not_included && !u.inclusion_unverified)
        {
            return false;
        }
    }
    refused_any
}

pub fn destination_refusal(ctx: &Ctx<'_>, u: &Ugea) -> Option<String> {
    let op = ctx.op;
    let law = ctx.law;
    if !u.destinations.is_empty() && !u.destinations.contains(&op.destination) {
        return Some(format!("{} is not one of its destinations", op.destination));
    }
    if u.destinations_except.contains(&op.destination) {
        return Some(format!(
            "{} is excluded from its destinations",
            op.destination
        ));
    }
    // Every recipient counts, not only the country of destination: a general authorisation
    // covers exports to its destinations, and an end user elsewhere means a (re-)export there.
    for p in &op.parties {
        let recipient = matches!(
            p.role,
            PartyRole::Consignee
                | PartyRole::EndUser
                | PartyRole::IntermediateConsignee
                | PartyRole::Distributor
                | PartyRole::Reseller
                | PartyRole::Subsidiary
        );
        if !recipient || law.in_group("eu", &p.country) {
            continue;
        }
        let outside = (!u.destinations.is_empty() && !u.destinations.contains(&p.country))
            || u.destinations_except.contains(&p.country);
        if outside {
            return Some(format!(
                "the {} `{}` is in {}, which is not one of its destinations",
                p.role.as_str().replace('_', " "),
                p.name,
                p.country
            ));
        }
    }
    None
}

fn item_covered(ctx: &Ctx<'_>, u: &Ugea, item: &Item, code: &ControlCode) -> Result<(), String> {
    if let Some(items) = &u.items
        && !items.iter().any(|c| c.covers(code))
    {
        return Err(format!("does not cover {code}"));
    }
    let group = code.group();
    if !u.item_groups.is_empty() && !u.item_groups.contains(&group) {
        return Err(format!(
            "covers only {} items, not {code}",
            groups_text(&u.item_groups)
        ));
    }
    if u.exclude_groups.contains(&group) {
        return Err(format!(
            "excludes {} items such as {code}",
            groups_text(&[group])
        ));
    }
    if let Some(x) = u
        .exclude_items
        .iter()
        .find(|x| x.covers(code) || code.covers(x))
    {
        return Err(format!("excludes {x}"));
    }
    if u.exclude_section_i && ctx.law.in_section_i_for(code, &item.relates_to) {
        return Err(format!("does not cover {code}, an Annex II Section I item"));
    }
    if matches!(group, Group::Software | Group::Technology) && !u.exclude_related_to.is_empty() {
        if let Some(x) = u.exclude_related_to.iter().find(|x| x.covers(code)) {
            return Err(format!(
                "excludes software and technology related to {x} ({code})"
            ));
        }
        if let Some(x) = item.relates_to.iter().find(|r| {
            u.exclude_related_to
                .iter()
                .any(|x| x.covers(r) || r.covers(x))
        }) {
            return Err(format!("excludes software and technology related to {x}"));
        }
        let could_relate = u
            .exclude_related_to
            .iter()
            .any(|x| x.category() == code.category() && x.is_cat5_part2() == code.is_cat5_part2());
        if item.relates_to.is_empty() && could_relate && !item.cyber_surveillance {
            let list: Vec<&str> = u
                .exclude_related_to
                .iter()
                .map(ControlCode::as_str)
                .collect();
            return Err(format!(
                "excludes software and technology related to {}; {code} may relate to one of them and the item does not say which equipment it relates to (items[].relates_to)",
                list.join(", ")
            ));
        }
        if item.relates_to.is_empty() && item.cyber_surveillance && item.kind != ItemKind::Hardware
        {
            let list: Vec<&str> = u
                .exclude_related_to
                .iter()
                .map(ControlCode::as_str)
                .collect();
            return Err(format!(
                "excludes software and technology related to {}; this cyber-surveillance item does not say which equipment it relates to (items[].relates_to), so it is treated as related",
                list.join(", ")
            ));
        }
    }
    for ic in &u.item_conditions {
        if (ic.code.covers(code) || code.covers(&ic.code)) && !ctx.op.fact(&ic.fact) {
            return Err(format!(
                "{} (facts.{} is not true)",
                ic.text.trim_end_matches('.'),
                ic.fact
            ));
        }
    }
    if matches!(group, Group::Software | Group::Technology) && !u.related_only_to.is_empty() {
        let list: Vec<&str> = u.related_only_to.iter().map(ControlCode::as_str).collect();
        if item.relates_to.is_empty() {
            return Err(format!(
                "covers {code} only for {}; the item does not say which equipment it is for (items[].relates_to)",
                list.join(", ")
            ));
        }
        if let Some(r) = item
            .relates_to
            .iter()
            .find(|r| !u.related_only_to.iter().any(|x| x.covers(r)))
        {
            return Err(format!(
                "covers {code} only for {}, not for {r}",
                list.join(", ")
            ));
        }
    }
    Ok(())
}

fn groups_text(groups: &[Group]) -> String {
    groups
        .iter()
        .map(|g| match g {
            Group::Equipment => "equipment (A)",
            Group::TestEquipment => "test and production equipment (B)",
            Group::Materials => "materials (C)",
            Group::Software => "software (D)",
            Group::Technology => "technology (E)",
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The duties of a UGEA as conditions, each with its provision.
pub fn duties(ctx: &Ctx<'_>, u: &Ugea) -> Vec<String> {
    let act = ctx.law.act_name(&u.cite.act);
    let mut out: Vec<String> = u
        .duties
        .iter()
        .map(|d| {
            let at = d.provision.as_deref().unwrap_or(&u.cite.provision);
            format!("{}: {} ({act} {at}).", u.id, d.text.trim_end_matches('.'))
        })
        .collect();
    if !u.verified {
        out.push(format!("{}: [UNVERIFIED] the conditions of this authorisation rest on facts the fact sheet marks unverified.", u.id));
    }
    out
}
