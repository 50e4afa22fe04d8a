//! Sanctions overlays, applied before the dual-use rules: bans on Annex I items (Russia
//! 833/2014 Art. 2, Belarus 765/2006 Art. 1e, Myanmar 401/2013 Art. 3a) with their declared
//! exceptions, the monitoring-equipment authorisation regimes (Iran, Syria, Myanmar, Venezuela,
//! Belarus), and "review" records for parts of those acts Vigil does not encode. The regimes
//! themselves are data (`law/sanctions.toml`).

use super::Ctx;
use super::input::Item;
use super::outcome::{AuthorisationKind, Decision, Outcome};
use crate::law::{Cite, Concern, EndUserType, Regime, RegimeKind, RegimeScope};
use crate::text::with_first;

/// Where the operation touches the regime's countries: the destination or a party.
fn touch_points(ctx: &Ctx<'_>, r: &Regime) -> Vec<String> {
    let op = ctx.op;
    let mut out = Vec::new();
    if r.countries.contains(&op.destination) {
        out.push(format!("the destination is {}", op.destination));
    }
    for p in &op.parties {
        if r.countries.contains(&p.country) {
            out.push(format!(
                "the {} `{}` is in {}",
                p.role.as_str().replace('_', " "),
                p.name,
                p.country
            ));
        }
    }
    out
}

fn in_scope(r: &Regime, item: &Item) -> Option<String> {
    match r.scope {
        RegimeScope::AnnexI => item.is_listed().then(|| {
            let codes: Vec<&str> = item.entries.iter().map(|c| c.as_str()).collect();
            format!("the item is listed in Annex I ({})", codes.join(", "))
        }),
        RegimeScope::MonitoringEquipment => {
            if let Some(c) = item.entries.iter().find(|e| {
                r.indicative_entries
                    .iter()
                    .any(|i| i.covers(e) || e.covers(i))
            }) {
                Some(format!(
                    "the item ({c}) is monitoring or interception equipment, software or technology"
                ))
            } else if item.cyber_surveillance {
                Some("the item is a cyber-surveillance item, which we treat as monitoring or interception equipment".to_owned())
            } else {
                None
            }
        }
    }
}

fn unverified(o: &mut Outcome, r: &Regime) {
    if !r.verified {
        o.reason(format!(
            "[UNVERIFIED] {} rests on a text the fact sheet marks unverified (e.g. later amendments not read); re-check the Official Journal.",
            r.title
        ));
    }
    if r.scope == RegimeScope::MonitoringEquipment {
        o.reason(format!(
            "[UNVERIFIED] The list of monitoring equipment annexed to {} {} was not read; Vigil treats the Annex I interception, IP-surveillance, intrusion and forensic entries and every cyber-surveillance item as in it.",
            r.cite.act, r.cite.provision
        ));
    }
}

fn act(ctx: &Ctx<'_>, r: &Regime) -> String {
    format!("{} {}", ctx.law.act_name(&r.cite.act), r.cite.provision)
}

/// Applies every regime in force on the operation's date.
pub fn apply(ctx: &Ctx<'_>, item: &Item, o: &mut Outcome) {
    let op = ctx.op;
    for r in ctx.law.regimes() {
        if !r.in_force.contains(op.date) || !r.operation_types.contains(&op.operation_type) {
            continue;
        }
        let touches = touch_points(ctx, r);
        if touches.is_empty() {
            continue;
        }
        let place = touches.join("; ");
        if !r.end_user_types.is_empty()
            && !op
                .end_user_type
                .is_some_and(|t| r.end_user_types.contains(&t))
        {
            // Not one of the end users the regime names; but some types need a look.
            if let Some(t) = op
                .end_user_type
                .filter(|t| r.review_end_user_types.contains(t))
                && in_scope(r, item).is_some()
            {
                o.raise(Decision::Hold, AuthorisationKind::None);
                o.cite(r.cite.clone());
                o.reason(format!(
                    "{}: {place}, and the end user is a {} body; {} Hold until a person has checked whether the end user is one the ban names.",
                    r.title,
                    t.as_str().replace('_', " "),
                    r.summary.trim()
                ));
                unverified(o, r);
            }
            continue;
        }
        if r.kind == RegimeKind::Review {
            if let Some(why_item) = in_scope(r, item) {
                o.raise(Decision::Hold, AuthorisationKind::None);
                o.cite(r.cite.clone());
                o.reason(format!(
                    "{}: {place} and {why_item}. {} Hold until a person has checked it.",
                    r.title,
                    r.summary.trim()
                ));
                unverified(o, r);
            }
            continue;
        }
        let Some(why_item) = in_scope(r, item) else {
            out_of_scope(ctx, r, &place, o);
            continue;
        };
        match r.kind {
            RegimeKind::Ban => ban(ctx, r, &place, &why_item, o),
            RegimeKind::Authorisation => authorisation(ctx, r, &place, &why_item, o),
            RegimeKind::Review => {}
        }
    }
}

/// The item is not among those the regime (as encoded) reaches.
fn out_of_scope(ctx: &Ctx<'_>, r: &Regime, place: &str, o: &mut Outcome) {
    let full_ban =
        r.kind == RegimeKind::Ban && r.scope == RegimeScope::AnnexI && r.end_user_types.is_empty();
    if full_ban {
        // A non-listed item to a country under a full dual-use ban: other parts of the same act
        // (goods lists, service bans) may reach it and are not encoded here.
        o.raise(Decision::Hold, AuthorisationKind::None);
        o.cite(r.cite.clone());
        o.reason(format!(
            "{}: {place}. The item is not listed in Annex I, so the ban of {} does not reach it as such, but the same act bans further goods, software and services that Vigil does not encode; hold until a person has checked them.",
            r.title, r.cite.provision
        ));
        unverified(o, r);
    } else if r.kind == RegimeKind::Authorisation && r.scope == RegimeScope::MonitoringEquipment {
        // The annex of monitoring equipment lists items by function, not by Annex I entry, and
        // Vigil does not encode it: an item outside the entries we map may still be in it.
        o.raise(Decision::Hold, AuthorisationKind::None);
        o.cite(r.cite.clone());
        o.reason(format!(
            "{}: {place}. The regime needs prior authorisation for the monitoring and interception equipment, software and technology in its annex, which Vigil does not encode; hold until a person has checked the item against it ({}).",
            r.title,
            act(ctx, r)
        ));
        unverified(o, r);
    }
}

fn ban(ctx: &Ctx<'_>, r: &Regime, place: &str, why_item: &str, o: &mut Outcome) {
    let op = ctx.op;
    let declared = op
        .facts
        .sanctions_exception
        .as_deref()
        .and_then(|id| r.exceptions.iter().find(|e| e.id == id));
    if let Some(ex) = declared {
        match op.end_user_type {
            Some(EndUserType::Military) if ex.non_military_only => {
                o.cite(r.cite.clone());
                o.cite(Cite::new(&r.cite.act, &ex.provision));
                o.reason(format!(
                    "{}: {place} and {why_item}. The declared exception ({}) is only for non-military use by non-military end users, and the end user is military: the export is prohibited.",
                    r.title, ex.provision
                ));
                o.prohibit(format!("Do not export: {} prohibits it, and the exception of {} is not open to military end users.", act(ctx, r), ex.provision));
            }
            Some(EndUserType::GovernmentSecurity) if ex.non_military_only => {
                o.raise(Decision::Hold, AuthorisationKind::None);
                o.cite(r.cite.clone());
                o.cite(Cite::new(&r.cite.act, &ex.provision));
                o.reason(format!(
                    "{}: {place} and {why_item}. The declared exception ({}) is only for non-military use by non-military end users; the end user is a state security body, which may be military or linked to it: hold until a person has confirmed the end user qualifies.",
                    r.title, ex.provision
                ));
            }
            _ => {
                o.cite(Cite::new(&r.cite.act, &ex.provision));
                o.reason(format!(
                    "{}: {place} and {why_item}; the ban does not apply because the exporter declares the exception of {} ({}). Regulation (EU) 2021/821 still applies in full.",
                    r.title, ex.provision, ex.text
                ));
                if ex.non_military_only {
                    o.condition(format!(
                        "Exception {} ({}): only for non-military use by a non-military end user.",
                        ex.provision,
                        ctx.law.act_name(&r.cite.act)
                    ));
                }
                if let Some(d) = &ex.duty {
                    o.condition(format!(
                        "{d} ({} {}).",
                        ctx.law.act_name(&r.cite.act),
                        ex.provision
                    ));
                }
            }
        }
        unverified(o, r);
        return;
    }
    o.cite(r.cite.clone());
    let mut text = format!("{}: {place} and {why_item}; {}", r.title, r.summary.trim());
    if !r.exceptions.is_empty() {
        let ids: Vec<&str> = r.exceptions.iter().map(|e| e.id.as_str()).collect();
        text.push_str(&format!(
            " (If one of its exceptions applies, declare it in facts.sanctions_exception: {}.)",
            ids.join(", ")
        ));
    }
    o.reason(text);
    o.prohibit(format!(
        "Do not export: {} prohibits it, and an authorisation under Regulation (EU) 2021/821 cannot lift the ban; only a derogation the act itself provides for can be requested from {}.",
        act(ctx, r),
        ctx.authority()
    ));
    unverified(o, r);
}

fn authorisation(ctx: &Ctx<'_>, r: &Regime, place: &str, why_item: &str, o: &mut Outcome) {
    let op = ctx.op;
    o.cite(r.cite.clone());
    let refusal = r
        .refusal
        .as_deref()
        .unwrap_or("the regime's refusal ground is met");
    let repression = op.all_concerns().contains(&Concern::InternalRepression);
    let refused_end_user = op
        .end_user_type
        .filter(|t| r.refuse_for_end_user_types.contains(t));
    if repression || refused_end_user.is_some() {
        let why = match refused_end_user {
            Some(t) if !repression => format!(
                "the end user is a {} body of the state",
                t.as_str().replace('_', " ")
            ),
            _ => "the exporter is informed or aware of a risk of internal repression".to_owned(),
        };
        o.reason(format!(
            "{}: {place} and {why_item}. {}, which is a ground on which the authority must refuse ({refusal}): the export cannot be authorised.",
            r.title,
            with_first(&why, true)
        ));
        o.prohibit(format!("Do not export: the authority must refuse the authorisation required by {} on these facts.", act(ctx, r)));
    } else {
        o.raise(Decision::LicenceRequired, AuthorisationKind::Individual);
        o.reason(format!(
            "{}: {place} and {why_item}; the prior authorisation of {} is required.",
            r.title, r.cite.provision
        ));
        o.condition(format!(
            "Obtain the prior authorisation required by {} from {}. The authority must refuse if {}.",
            act(ctx, r),
            ctx.authority(),
            refusal.trim_end_matches('.')
        ));
    }
    unverified(o, r);
}
