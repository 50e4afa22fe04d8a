//! Red flags found in an operation's facts. The wording and keyword lists are data
//! (`law/red-flags.toml`); this module decides when each flag is raised.

use super::input::PartyRole;
use super::{Ctx, RedFlagOut};
use crate::law::{Concern, EndUserType};
use crate::text::fold;

/// Every red-flag code the code can raise (each must have wording in `law/red-flags.toml`).
pub const CODES: &[&str] = &[
    "end_use_not_stated",
    "repression_indicators_in_end_use",
    "covert_capability_marketing",
    "government_security_end_user_at_risk_destination",
    "cyber_surveillance_item_to_risk_destination",
    "party_outside_destination",
    "party_in_sanctioned_country",
    "military_end_user",
    "destination_under_arms_embargo",
    "human_rights_concern_on_listed_item",
    "return_beyond_eu004_window",
    "final_destination_outside_union",
    "unclassified_cyber_item",
    "security_end_use_indicated",
];

/// Security-body words found in the end use and the names of the end user, consignee and
/// intermediate consignee (keywords of the `security_end_use_indicated` red flag).
pub(crate) fn security_indicators(ctx: &Ctx<'_>) -> Vec<String> {
    let op = ctx.op;
    let mut text = op.end_use.clone();
    for p in &op.parties {
        if matches!(
            p.role,
            PartyRole::EndUser | PartyRole::Consignee | PartyRole::IntermediateConsignee
        ) {
            text.push_str(" | ");
            text.push_str(&p.name);
        }
    }
    keywords(ctx, "security_end_use_indicated", &fold(&text))
}

struct Flags<'a> {
    ctx: &'a Ctx<'a>,
    out: Vec<RedFlagOut>,
}

impl Flags<'_> {
    fn raise(&mut self, code: &str, detail: Option<String>) {
        if self.out.iter().any(|f| f.code == code) {
            return;
        }
        let Some(def) = self.ctx.law.red_flag(code) else {
            return;
        };
        let mut text = def.text.clone();
        if let Some(d) = detail {
            text.push_str(&format!(" [{d}]"));
        }
        if !def.verified {
            text.push_str(" (source UNVERIFIED)");
        }
        self.out.push(RedFlagOut {
            code: code.to_owned(),
            text,
        });
    }
}

fn keywords(ctx: &Ctx<'_>, code: &str, text_folded: &str) -> Vec<String> {
    ctx.law
        .red_flag(code)
        .map(|d| {
            d.keywords
                .found_in(text_folded)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Finds the red flags of an operation.
pub(crate) fn detect(ctx: &Ctx<'_>) -> Vec<RedFlagOut> {
    let op = ctx.op;
    let law = ctx.law;
    let mut f = Flags {
        ctx,
        out: Vec::new(),
    };

    let end_use = fold(&op.end_use);
    if op
        .end_use
        .trim()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .count()
        < 8
        && op.operation_type.is_export()
    {
        f.raise("end_use_not_stated", None);
    }
    let hits = keywords(ctx, "repression_indicators_in_end_use", &end_use);
    if !hits.is_empty() {
        f.raise(
            "repression_indicators_in_end_use",
            Some(format!("end use mentions: {}", hits.join(", "))),
        );
    }
    let mut covert = keywords(ctx, "covert_capability_marketing", &end_use);
    for item in &op.items {
        for h in keywords(ctx, "covert_capability_marketing", &fold(&item.description)) {
            if !covert.contains(&h) {
                covert.push(h);
            }
        }
    }
    if !covert.is_empty() {
        f.raise(
            "covert_capability_marketing",
            Some(format!("found: {}", covert.join(", "))),
        );
    }

    let dest = &op.destination;
    let monitoring_regime = law
        .regimes()
        .iter()
        .any(|r| r.countries.contains(dest) && r.in_force.contains(op.date));
    let embargo = law.arms_embargo(dest);
    let risky = embargo.is_some() || monitoring_regime || law.in_group("eu008_excluded", dest);
    if op.end_user_type == Some(EndUserType::GovernmentSecurity) && risky {
        f.raise(
            "government_security_end_user_at_risk_destination",
            Some(format!("destination {dest}")),
        );
    }
    if op.items.iter().any(|i| i.cyber_surveillance)
        && (embargo.is_some() || monitoring_regime)
        && op.operation_type.is_export()
    {
        f.raise(
            "cyber_surveillance_item_to_risk_destination",
            Some(format!("destination {dest}")),
        );
    }
    let security = security_indicators(ctx);
    if !security.is_empty() && op.operation_type.is_export() {
        f.raise(
            "security_end_use_indicated",
            Some(format!("found: {}", security.join(", "))),
        );
    }
    if op.end_user_type == Some(EndUserType::Military) {
        f.raise("military_end_user", None);
    }
    if let Some(e) = embargo {
        let v = if e.verified {
            ""
        } else {
            "; embargo listing UNVERIFIED"
        };
        f.raise(
            "destination_under_arms_embargo",
            Some(format!("{dest}: {}{v}", e.basis)),
        );
    }
    let transfer_like = matches!(
        op.operation_type,
        crate::law::OperationType::IntraEuTransfer
    );
    for p in &op.parties {
        let relevant = matches!(
            p.role,
            PartyRole::EndUser
                | PartyRole::Consignee
                | PartyRole::IntermediateConsignee
                | PartyRole::Distributor
                | PartyRole::Reseller
        );
        if relevant && !transfer_like && p.country != *dest && !law.in_group("eu", &p.country) {
            f.raise(
                "party_outside_destination",
                Some(format!(
                    "{} `{}` in {}",
                    p.role.as_str().replace('_', " "),
                    p.name,
                    p.country
                )),
            );
        }
        if law
            .regimes()
            .iter()
            .any(|r| r.countries.contains(&p.country) && r.in_force.contains(op.date))
        {
            f.raise(
                "party_in_sanctioned_country",
                Some(format!(
                    "{} `{}` in {}",
                    p.role.as_str().replace('_', " "),
                    p.name,
                    p.country
                )),
            );
        }
    }
    if op.all_concerns().contains(&Concern::InternalRepression)
        && op.items.iter().any(super::input::Item::is_listed)
    {
        f.raise("human_rights_concern_on_listed_item", None);
    }
    if let Some(days) = op.facts.return_within_days
        && days > 120
        && op.operation_type == crate::law::OperationType::TemporaryExport
    {
        f.raise("return_beyond_eu004_window", Some(format!("{days} days")));
    }
    if op.facts.final_destination_outside_eu && transfer_like {
        f.raise("final_destination_outside_union", None);
    }
    if op
        .items
        .iter()
        .any(|i| i.cyber_surveillance && !i.is_listed())
    {
        f.raise("unclassified_cyber_item", None);
    }
    f.out
}
