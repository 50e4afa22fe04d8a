//! Gathers the inspection dossier of an organisation for a period from the store (blocking: call
//! it off the async threads), for the web page (`/orgs/{org}/dossier.pdf`) and for the CLI
//! (`vigil dossier`). Rendering is `vigil-report`'s.
//!
//! What goes in, by element of Recommendation (EU) 2019/1318: the programme's records
//! ([`vigil_store::icp`]) dated up to the end of the period; the members and their roles; every
//! item with its classification records; every operation assessed in the period with its
//! decision, citations, parties, their screening hits and review, the lists screened, its holds
//! and who released them, its licence draw-downs and its Art. 27 retention date; the lists
//! served; the licences with their use and the general authorisations used; the audit records of
//! the period by action and the verification of the whole chain; the due-diligence files of the
//! period's operations (Art. 5) with their conclusions.

use std::collections::{BTreeMap, HashMap};

use time::{Date, OffsetDateTime};
use vigil_report::{
    AuditSummary, ChainStatus, ClassificationLine, Dossier, DueDiligenceLine,
    GeneralAuthorisationLine, HitLine, HoldLine, IcpEntry, ItemLine, LicenceLine, ListLine,
    MemberLine, OperationLine, PartyLine,
};
use vigil_store::accounts::OrgScope;
use vigil_store::party_screening::ScreeningView;
use vigil_store::{AuditFilter, Store, StoreError};

/// Errors of gathering.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DossierError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The licences could not be read.
    #[error(transparent)]
    Licences(#[from] vigil_store::licences::LicenceError),
    /// Rendering failed.
    #[error(transparent)]
    Report(#[from] vigil_report::ReportError),
}

/// A bad period field: the field (`from`, `to`) and the catalogue key of the message.
pub type PeriodError = (&'static str, &'static str);

/// The longest period a dossier covers (days): ten years.
pub const MAX_PERIOD_DAYS: i64 = 3_660;

/// Reads a period (`YYYY-MM-DD`, both inclusive); every bad field is named.
///
/// # Errors
/// The bad fields with the catalogue key of their message (`err-dossier-date`,
/// `err-dossier-range`).
pub fn parse_period(from: &str, to: &str) -> Result<(Date, Date), Vec<PeriodError>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let from_d = Date::parse(from.trim(), &format);
    let to_d = Date::parse(to.trim(), &format);
    let mut errors = Vec::new();
    if from_d.is_err() {
        errors.push(("from", "err-dossier-date"));
    }
    if to_d.is_err() {
        errors.push(("to", "err-dossier-date"));
    }
    match (from_d, to_d) {
        (Ok(f), Ok(t)) if t < f || (t - f).whole_days() > MAX_PERIOD_DAYS => {
            Err(vec![("to", "err-dossier-range")])
        }
        (Ok(f), Ok(t)) => Ok((f, t)),
        _ => Err(errors),
    }
}

/// `YYYY-MM-DD` of a time in µs since the epoch (UTC).
fn day_of(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

/// µs since the epoch at the start of `d` (UTC).
fn micros_at(d: Date) -> i64 {
    let t = d.midnight().assume_utc();
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// Gathers the dossier of the scope's organisation for `from`..=`to`.
///
/// # Errors
/// A database failure.
pub fn gather(
    store: &Store,
    scope: &OrgScope,
    law_version: &str,
    (from, to): (Date, Date),
    generated_by: &str,
    now: OffsetDateTime,
) -> Result<Dossier, DossierError> {
    let start = micros_at(from);
    let end = to.next_day().map_or(i64::MAX, micros_at);
    let today = now.date();

    // Who is who.
    let member_rows = store.members(scope)?;
    let names: HashMap<String, String> = member_rows
        .iter()
        .map(|m| {
            let n = if m.user.display_name.is_empty() {
                m.user.email.clone()
            } else {
                m.user.display_name.clone()
            };
            (m.user.id.clone(), n)
        })
        .collect();
    let who = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let members = member_rows
        .iter()
        .map(|m| MemberLine {
            name: m.user.display_name.clone(),
            email: m.user.email.clone(),
            role: m.role.as_str().to_owned(),
        })
        .collect();

    // The programme.
    let to_s = to.to_string();
    let icp_records: Vec<_> = store
        .icp_records(scope)?
        .into_iter()
        .filter(|r| r.record_date <= to_s)
        .collect();
    let documents = store.icp_documents(scope, &icp_records)?;
    let icp = icp_records
        .into_iter()
        .map(|r| IcpEntry {
            element: u8::try_from(r.element).unwrap_or(0),
            kind: r.kind,
            title: r.title,
            person_name: r.person_name,
            person_role: r.person_role,
            date: Date::parse(
                &r.record_date,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok(),
            details: r.details,
            attachment: r.attachment_id.map(|a| match documents.get(&a) {
                Some(d) => format!("{} (SHA-256 {})", d.filename, d.sha256),
                None => format!("document {a}"),
            }),
            recorded_by: format!("{}, {}", who(&r.recorded_by), day_of(r.recorded_at)),
        })
        .collect();

    // Items and their classifications.
    let mut items = Vec::new();
    for item in store.items(scope)? {
        let classifications = store
            .classifications(scope, &item.id)?
            .into_iter()
            .map(|c| {
                Ok(ClassificationLine {
                    entries: c.entries()?,
                    version: c.version_label,
                    cyber_surveillance: c.cyber_surveillance == "yes",
                    law_version: c.law_version,
                    by: who(&c.classified_by),
                    at: day_of(c.classified_at),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        items.push(ItemLine {
            name: item.name,
            kind: item.kind,
            classifications,
        });
    }

    // Licences, their draw-downs by operation.
    let mut drawn: HashMap<String, Vec<String>> = HashMap::new();
    let mut licences = Vec::new();
    for l in store.licences(scope)? {
        let rows = store.drawdowns(scope, &l.id)?;
        let mut in_period = Vec::new();
        for d in &rows {
            let amount = if d.unit == "eur" {
                format!("{:.2} EUR", cents(d.amount))
            } else {
                format!("{} {}", d.amount, d.unit)
            };
            drawn
                .entry(d.operation_id.clone())
                .or_default()
                .push(format!("{}: {amount} ({})", l.terms.number, d.used_on));
            if d.drawn_at >= start && d.drawn_at < end {
                in_period.push((d.operation_id.clone(), amount, d.used_on.clone()));
            }
        }
        let quotas: Vec<_> = if l.quotas.is_empty() {
            vec![None]
        } else {
            l.quotas.iter().map(Some).collect()
        };
        let several = quotas.len() > 1;
        for q in quotas {
            let (quota, used, unit) = match q {
                Some(q) if q.unit.as_str() == "eur" => {
                    (Some(cents(q.total)), cents(q.used), "EUR".to_owned())
                }
                #[allow(clippy::cast_precision_loss)]
                Some(q) => (
                    Some(q.total as f64),
                    q.used as f64,
                    q.unit.as_str().to_owned(),
                ),
                None => (None, 0.0, String::new()),
            };
            licences.push(LicenceLine {
                reference: if several {
                    format!("{} ({unit})", l.terms.number)
                } else {
                    l.terms.number.clone()
                },
                kind: l.terms.kind.as_str().to_owned(),
                authority: l.terms.authority.clone(),
                valid_until: l.terms.valid_until.to_string(),
                quota,
                used,
                unit,
                drawdowns: Vec::new(),
            });
        }
        if let Some(last) = licences.last_mut() {
            last.drawdowns = in_period
                .iter()
                .map(|(op, amount, on)| format!("{}: {amount} ({on})", short_ref(store, scope, op)))
                .collect();
        }
    }
    let general_authorisations = store
        .general_authorisation_uses(scope)?
        .into_iter()
        .map(|u| {
            let mut note = Vec::new();
            if let Some(r) = &u.usage.registration_ref {
                note.push(format!("registration {r}"));
            }
            if let Some(d) = u.usage.registered_on {
                note.push(format!("registered {d}"));
            }
            if let Some(d) = u.usage.notice_sent_on {
                note.push(format!("first-use notice sent {d}"));
            }
            if let Some(d) = u.usage.last_report_on {
                note.push(format!("last report {d}"));
            }
            GeneralAuthorisationLine {
                code: u.usage.ugea_id.clone(),
                operation: String::new(),
                on: u.usage.first_use.map(|d| d.to_string()).unwrap_or_default(),
                note: note.join("; "),
            }
        })
        .collect();

    // Operations of the period.
    let parties: HashMap<String, vigil_store::records::Party> = store
        .parties(scope)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let screenings: BTreeMap<String, ScreeningView> = store.party_screenings(scope, today)?;
    let mut ops = store.operations(scope, false)?;
    ops.retain(|o| o.created_at >= start && o.created_at < end);
    ops.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let mut operations = Vec::with_capacity(ops.len());
    let mut due_diligence = Vec::new();
    for o in ops {
        let input = o.input().map_err(StoreError::from)?;
        let assessment = o.assessment_value().map_err(StoreError::from)?;
        let party_ids = store.operation_party_ids(scope, &o.id)?;
        let mut line_parties = Vec::new();
        let mut hits = Vec::new();
        let mut lists_screened: Vec<String> = Vec::new();
        for pid in &party_ids {
            let Some(p) = parties.get(pid) else { continue };
            line_parties.push(PartyLine {
                role: p.role.clone(),
                name: p.name.clone(),
                country: p.country.clone(),
            });
            if let Some(view) = screenings.get(pid) {
                if let Some(s) = &view.screening {
                    for l in s.list_refs() {
                        let name = format!("{} {}", l.source, l.version);
                        if !lists_screened.contains(&name) {
                            lists_screened.push(name);
                        }
                    }
                }
                for h in &view.hits {
                    hits.push(HitLine {
                        party: p.name.clone(),
                        list: format!("{} {}", h.hit.list_source, h.hit.list_version),
                        entry_id: h.hit.entry_id.clone(),
                        listed_name: h.hit.entry_name.clone(),
                        score: h.hit.score,
                        status: h.status.as_str().to_owned(),
                        reviewed_by: h
                            .applies
                            .as_ref()
                            .map(|c| format!("{}: {}", who(&c.decided_by), c.reason))
                            .unwrap_or_default(),
                    });
                }
            }
        }
        // Parties named only in the operation's JSON (no party record), and the hits the
        // assessment recorded for them.
        if line_parties.is_empty()
            && let Some(ps) = input.get("parties").and_then(|p| p.as_array())
        {
            for p in ps {
                line_parties.push(PartyLine {
                    role: str_of(p, "role"),
                    name: str_of(p, "name"),
                    country: str_of(p, "country"),
                });
            }
        }
        if hits.is_empty()
            && let Some(hs) = assessment.get("screening").and_then(|h| h.as_array())
        {
            for h in hs {
                let list = str_of(h, "list");
                if !lists_screened.contains(&list) {
                    lists_screened.push(list.clone());
                }
                hits.push(HitLine {
                    party: str_of(h, "party"),
                    list,
                    entry_id: str_of(h, "entry_id"),
                    listed_name: str_of(h, "name"),
                    score: h
                        .get("score")
                        .and_then(serde_json::Value::as_f64)
                        .unwrap_or(0.0),
                    status: if h.get("cleared").and_then(serde_json::Value::as_bool) == Some(true) {
                        "cleared".to_owned()
                    } else {
                        "open".to_owned()
                    },
                    reviewed_by: String::new(),
                });
            }
        }
        if let Some(ls) = assessment.get("lists_screened").and_then(|l| l.as_array()) {
            for l in ls {
                let name = format!("{} {}", str_of(l, "source"), str_of(l, "version"));
                if !lists_screened.contains(&name) {
                    lists_screened.push(name);
                }
            }
        }
        let reference = if o.reference.is_empty() {
            o.id.clone()
        } else {
            o.reference.clone()
        };
        for f in store.dd_files(scope, &o.id)? {
            let status = match &f.conclusion {
                Some(c) => format!("{} ({c})", f.status),
                None => f.status.clone(),
            };
            let mut summary = format!("catalogue {}", f.catalogue_version);
            if let Some(j) = &f.justification {
                summary.push_str(": ");
                summary.push_str(j);
            }
            if let Some(by) = &f.concluded_by {
                summary.push_str(&format!(" — signed by {}", who(by)));
            }
            due_diligence.push(DueDiligenceLine {
                subject: format!(
                    "{reference}: {} ({}), {}",
                    f.end_user_name, f.end_user_country, f.item_name
                ),
                status,
                on: day_of(f.concluded_at.unwrap_or(f.created_at)),
                summary,
            });
        }
        // The Art. 5(2) notifications drafted from the files, with their sending and answer.
        for n in store.notifications_of_operation(scope, &o.id)? {
            let status = match &n.answer {
                Some(a) => format!("{} ({a})", n.status),
                None => n.status.clone(),
            };
            let mut summary = format!("Art. 5(2) notification to {}: {}", n.authority, n.subject);
            if let (Some(on), Some(r)) = (&n.sent_on, &n.sent_reference) {
                summary.push_str(&format!(" — sent {on}, reference {r}"));
            }
            if let (Some(on), Some(r)) = (&n.answer_date, &n.answer_reference) {
                summary.push_str(&format!(" — answered {on}, reference {r}"));
            }
            due_diligence.push(DueDiligenceLine {
                subject: format!("{reference}: notification ({})", n.language),
                status,
                on: n
                    .answer_date
                    .clone()
                    .or_else(|| n.sent_on.clone())
                    .unwrap_or_else(|| day_of(n.created_at)),
                summary,
            });
        }
        let holds = store
            .holds(scope, &o.id)?
            .into_iter()
            .map(|h| HoldLine {
                reason: hold_reason(&h.detail, &h.cause),
                cause: h.cause,
                opened_on: day_of(h.created_at),
                released_by: h.released_by.as_deref().map(&who).unwrap_or_default(),
                released_on: h.released_at.map(day_of),
                release_note: [h.release_kind, h.release_reason]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
            })
            .collect();
        let citations = assessment
            .get("citations")
            .and_then(|c| c.as_array())
            .map(|cs| {
                cs.iter()
                    .map(|c| format!("{} {}", str_of(c, "act"), str_of(c, "provision")))
                    .collect()
            })
            .unwrap_or_default();
        let item_names: Vec<String> = input
            .get("items")
            .and_then(|i| i.as_array())
            .map(|is| {
                is.iter()
                    .map(|i| {
                        let entries: Vec<String> = i
                            .get("entries")
                            .and_then(|e| e.as_array())
                            .map(|e| {
                                e.iter()
                                    .filter_map(|x| x.as_str())
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default();
                        if entries.is_empty() {
                            str_of(i, "id")
                        } else {
                            format!("{} ({})", str_of(i, "id"), entries.join(", "))
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        operations.push(OperationLine {
            reference,
            date: OffsetDateTime::from_unix_timestamp_nanos(i128::from(o.created_at) * 1000)
                .ok()
                .map(OffsetDateTime::date),
            export_type: str_of(&input, "type"),
            destination: str_of(&input, "destination"),
            items: item_names.join("; "),
            decision: o.decision.clone(),
            status: if o.completed_at.is_some() {
                "completed".to_owned()
            } else {
                o.status.clone()
            },
            citations,
            parties: line_parties,
            hits,
            lists_screened,
            holds,
            licence_use: drawn.remove(&o.id).unwrap_or_default(),
            retain_until: o.retain_until.clone(),
            completed_on: o.completed_at.map(day_of),
        });
    }

    // Lists served.
    let lists = store
        .served_lists()?
        .into_iter()
        .map(|l| ListLine {
            source: l.source.as_str().to_owned(),
            version: l.version_label(),
            imported_at: l
                .imported_at
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute] UTC"
                ))
                .unwrap_or_default(),
            entries: i64::try_from(l.entry_count).unwrap_or(i64::MAX),
        })
        .collect();

    // The audit log.
    let chain = match store.verify_audit(scope.org_id())? {
        Ok(rows) => ChainStatus::Intact { rows },
        Err(e) => ChainStatus::Broken {
            seq: i64::try_from(e.seq).unwrap_or(i64::MAX),
            reason: e.reason,
        },
    };
    let midnight = |d: Date| format!("{d}T00:00:00.000000Z");
    let mut by_action: BTreeMap<String, u64> = BTreeMap::new();
    for r in store.audit_records(
        scope.org_id(),
        &AuditFilter {
            since: Some(midnight(from)),
            until: to.next_day().map(midnight),
            ..AuditFilter::default()
        },
    )? {
        *by_action.entry(r.event.action).or_default() += 1;
    }

    Ok(Dossier {
        organisation: scope.org().name.clone(),
        from,
        to,
        generated_at: now,
        generated_by: generated_by.to_owned(),
        law_version: law_version.to_owned(),
        icp,
        members,
        items,
        operations,
        lists,
        licences: Some(licences),
        general_authorisations: Some(general_authorisations),
        due_diligence: Some(due_diligence),
        audit: AuditSummary {
            chain,
            actions_in_period: by_action.into_iter().collect(),
        },
    })
}

/// Gathers and renders the dossier as PDF (blocking).
///
/// # Errors
/// A database failure; a rendering failure.
pub fn render(
    store: &Store,
    scope: &OrgScope,
    law_version: &str,
    period: (Date, Date),
    generated_by: &str,
    now: OffsetDateTime,
) -> Result<Vec<u8>, DossierError> {
    let dossier = gather(store, scope, law_version, period, generated_by, now)?;
    Ok(vigil_report::render_dossier(&dossier)?)
}

#[allow(clippy::cast_precision_loss)]
fn cents(c: i64) -> f64 {
    c as f64 / 100.0
}

fn str_of(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A hold's reason from its detail JSON (`reason`, `decision`, …), else its cause.
fn hold_reason(detail: &str, cause: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
    for key in ["reason", "why", "decision", "summary"] {
        if let Some(s) = v.get(key).and_then(serde_json::Value::as_str)
            && !s.is_empty()
        {
            return s.to_owned();
        }
    }
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => serde_json::Value::Object(m).to_string(),
        _ => cause.to_owned(),
    }
}

/// An operation's reference for a draw-down line (its id when it has none or is unreadable).
fn short_ref(store: &Store, scope: &OrgScope, operation_id: &str) -> String {
    match store.operation(scope, operation_id) {
        Ok(Some(o)) if !o.reference.is_empty() => o.reference,
        _ => operation_id.to_owned(),
    }
}
