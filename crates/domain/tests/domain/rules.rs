//! One test per rule, named after the provision it checks; each states the citation it expects.

use serde_json::json;
use time::macros::date;
use vigil_domain::Decision;
use vigil_domain::assess::parse_operation_json;

use crate::support::{LAW, assert_cites, op, run};

fn listed(v: &mut serde_json::Value, kind: &str, entry: &str) {
    v["items"][0]["kind"] = json!(kind);
    v["items"][0]["entries"] = json!([entry]);
}

// --- Art. 3 and Annex II -------------------------------------------------------------------

#[test]
fn art_3_1_listed_item_needs_an_authorisation() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("CN");
        v["parties"][0]["country"] = json!("CN");
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_eq!(a.authorisation.kind, "individual");
    assert_cites(&a, "2021/821", "Art. 3(1)");
    assert_cites(&a, "2021/821", "Art. 12(2)");
}

#[test]
fn annex_ii_section_a_eu001_covers_a_listed_item_to_the_united_states() {
    // Expected citation: Regulation (EU) 2021/821 Annex II Section A.
    let a = run(&op(|v| listed(v, "hardware", "5A002.a.2")));
    assert_eq!(a.decision, Decision::GeneralAuthorisation);
    assert_eq!(a.authorisation.kind, "EU001");
    assert_cites(&a, "2021/821", "Annex II Section A");
    assert!(
        a.authorisation
            .conditions
            .iter()
            .any(|c| c.contains("30 days")),
        "{:#?}",
        a.authorisation.conditions
    );
}

#[test]
fn annex_ii_section_i_keeps_cryptanalytic_items_out_of_eu001() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); EU001 not usable (Section I).
    let a = run(&op(|v| listed(v, "hardware", "5A004.a")));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("EU001") && r.contains("Section I")),
        "{:#?}",
        a.reasons
    );
    assert_cites(&a, "2021/821", "Art. 3(1)");
}

#[test]
fn annex_ii_section_g_eu007_covers_intra_group_software() {
    // Expected citation: Regulation (EU) 2021/821 Annex II Section G.
    let a = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["type"] = json!("electronic_transmission");
        v["destination"] = json!("IN");
        v["parties"][0]["country"] = json!("IN");
        v["facts"] = json!({"intra_group": true, "commercial_product_development": true});
    }));
    assert_eq!(a.authorisation.kind, "EU007");
    assert_cites(&a, "2021/821", "Annex II Section G");
    assert!(
        a.authorisation
            .conditions
            .iter()
            .any(|c| c.contains("at least 30 days before")),
        "{:#?}",
        a.authorisation.conditions
    );
}

#[test]
fn annex_ii_section_g_eu007_excludes_software_related_to_5a001j() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); no EU007 for software related to 5A001.j.
    let a = run(&op(|v| {
        listed(v, "software", "5D001.a");
        v["items"][0]["relates_to"] = json!(["5A001.j"]);
        v["items"][0]["cyber_surveillance"] = json!(true);
        v["type"] = json!("electronic_transmission");
        v["destination"] = json!("IN");
        v["parties"][0]["country"] = json!("IN");
        v["facts"] = json!({"intra_group": true, "commercial_product_development": true});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("EU007") && r.contains("5A001.j")),
        "{:#?}",
        a.reasons
    );
}

#[test]
fn annex_ii_section_h_eu008_bars_government_security_end_users() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); EU008 barred for security end use.
    let civil = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["items"][0]["relates_to"] = json!(["5A002.a.2"]);
        v["destination"] = json!("BR");
        v["parties"][0]["country"] = json!("BR");
        v["facts"] = json!({"published_crypto_standards": true});
    }));
    assert_eq!(civil.authorisation.kind, "EU008");
    assert_cites(&civil, "2021/821", "Annex II Section H");
    let police = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["items"][0]["relates_to"] = json!(["5A002.a.2"]);
        v["destination"] = json!("BR");
        v["parties"][0]["country"] = json!("BR");
        v["end_user_type"] = json!("government_security");
        v["facts"] = json!({"published_crypto_standards": true});
    }));
    assert_eq!(police.decision, Decision::LicenceRequired);
    assert_cites(&police, "2021/821", "Art. 3(1)");
}

#[test]
fn annex_ii_section_d_eu004_needs_return_within_120_days() {
    // Expected citation: Regulation (EU) 2021/821 Annex II Section D.
    let fair = |days: u32| {
        run(&op(|v| {
            listed(v, "hardware", "5A004.b");
            v["type"] = json!("temporary_export");
            v["destination"] = json!("SG");
            v["parties"][0]["country"] = json!("SG");
            v["facts"] =
                json!({"exhibition": true, "return_guaranteed": true, "return_within_days": days});
        }))
    };
    let short = fair(30);
    assert_eq!(short.authorisation.kind, "EU004");
    assert_cites(&short, "2021/821", "Annex II Section D");
    let long = fair(150);
    assert_eq!(long.decision, Decision::LicenceRequired);
    assert!(
        long.red_flags
            .iter()
            .any(|f| f.code == "return_beyond_eu004_window")
    );
}

#[test]
fn art_12_global_authorisation_when_the_exporter_holds_one() {
    // Expected citation: Regulation (EU) 2021/821 Art. 12(4) (ICP for global authorisations).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.f.2");
        v["destination"] = json!("AE");
        v["parties"][0]["country"] = json!("AE");
        v["facts"] = json!({"holds_global_licence": true});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_eq!(a.authorisation.kind, "global");
    assert_cites(&a, "2021/821", "Art. 12(4)");
}

// --- Arts 4 and 5 ---------------------------------------------------------------------------

#[test]
fn art_4_1_informed_of_wmd_use_needs_an_authorisation() {
    // Expected citation: Regulation (EU) 2021/821 Art. 4(1)(a).
    let a = run(&op(|v| v["facts"] = json!({"informed": ["wmd"]})));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "2021/821", "Art. 4(1)(a)");
}

#[test]
fn art_4_2_aware_of_military_use_means_notify() {
    // Expected citation: Regulation (EU) 2021/821 Art. 4(2).
    let a = run(&op(|v| {
        v["facts"] = json!({"aware": ["illegal_military_parts"]})
    }));
    assert_eq!(a.decision, Decision::NotifyAuthority);
    assert_cites(&a, "2021/821", "Art. 4(2)");
}

#[test]
fn art_5_1_informed_of_repression_risk_for_a_cyber_surveillance_item() {
    // Expected citation: Regulation (EU) 2021/821 Art. 5(1).
    let a = run(&op(|v| {
        v["items"][0]["cyber_surveillance"] = json!(true);
        v["facts"] = json!({"informed": ["internal_repression"]});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_eq!(a.authorisation.kind, "individual");
    assert_cites(&a, "2021/821", "Art. 5(1)");
}

#[test]
fn art_5_2_aware_from_due_diligence_means_notify_and_wait() {
    // Expected citation: Regulation (EU) 2021/821 Art. 5(2).
    let a = run(&op(|v| {
        v["items"][0]["cyber_surveillance"] = json!(true);
        v["facts"] = json!({"aware": ["internal_repression"]});
    }));
    assert_eq!(a.decision, Decision::NotifyAuthority);
    assert_cites(&a, "2021/821", "Art. 5(2)");
    assert!(
        a.authorisation
            .conditions
            .iter()
            .any(|c| c.contains("hold the export")),
        "{:#?}",
        a.authorisation.conditions
    );
}

#[test]
fn art_5_aware_on_an_item_not_marked_cyber_surveillance_is_held_for_classification() {
    // Expected citation: Regulation (EU) 2021/821 Art. 2(20).
    let a = run(&op(|v| {
        v["facts"] = json!({"aware": ["internal_repression"]})
    }));
    assert_eq!(a.decision, Decision::Hold);
    assert_cites(&a, "2021/821", "Art. 2(20)");
}

#[test]
fn art_5_1_the_authoritys_information_prevails_over_the_exporters_classification() {
    // Expected citation: Regulation (EU) 2021/821 Art. 5(1).
    let a = run(&op(|v| {
        v["facts"] = json!({"informed": ["internal_repression"]})
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "2021/821", "Art. 5(1)");
}

#[test]
fn art_4_1_b_needs_an_embargoed_destination_for_awareness() {
    // Expected citation: Regulation (EU) 2021/821 Art. 4(1)(b).
    let a = run(&op(|v| {
        v["destination"] = json!("CA");
        v["parties"][0]["country"] = json!("CA");
        v["facts"] = json!({"aware": ["military_embargo"]});
    }));
    assert_eq!(a.decision, Decision::NoLicenceRequired);
    assert_cites(&a, "2021/821", "Art. 4(1)(b)");
    let b = run(&op(|v| {
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
        v["facts"] = json!({"aware": ["military_embargo"]});
    }));
    assert!(b.decision >= Decision::NotifyAuthority);
}

#[test]
fn art_3_2_non_listed_item_without_catch_all_needs_no_licence() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(2).
    let a = run(&crate::support::base());
    assert_eq!(a.decision, Decision::NoLicenceRequired);
    assert_eq!(a.authorisation.kind, "none");
    assert_cites(&a, "2021/821", "Art. 3(2)");
}

// --- Arts 6, 7, 8, 11 -----------------------------------------------------------------------

#[test]
fn art_6_1_brokering_when_informed() {
    // Expected citation: Regulation (EU) 2021/821 Art. 6(1).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.j");
        v["type"] = json!("brokering");
        v["destination"] = json!("PK");
        v["facts"] = json!({"informed": ["wmd"]});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "2021/821", "Art. 6(1)");
}

#[test]
fn art_6_2_broker_aware_notifies() {
    // Expected citation: Regulation (EU) 2021/821 Art. 6(2).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.j");
        v["type"] = json!("brokering");
        v["destination"] = json!("PK");
        v["facts"] = json!({"aware": ["wmd"]});
    }));
    assert_eq!(a.decision, Decision::NotifyAuthority);
    assert_cites(&a, "2021/821", "Art. 6(2)");
}

#[test]
fn art_7_transit_with_a_declared_military_use_is_held() {
    // Expected citation: Regulation (EU) 2021/821 Art. 7(1).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.j");
        v["type"] = json!("transit");
        v["destination"] = json!("PK");
        v["facts"] = json!({"aware": ["military_embargo"]});
    }));
    assert_eq!(a.decision, Decision::Hold);
    assert_cites(&a, "2021/821", "Art. 7(1)");
}

#[test]
fn art_8_1_technical_assistance_when_informed() {
    // Expected citation: Regulation (EU) 2021/821 Art. 8(1).
    let a = run(&op(|v| {
        listed(v, "software", "4D004");
        v["type"] = json!("technical_assistance");
        v["destination"] = json!("PK");
        v["facts"] = json!({"informed": ["military_embargo"]});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "2021/821", "Art. 8(1)");
}

#[test]
fn art_8_3_a_technical_assistance_into_an_eu001_country_is_exempt() {
    // Expected citation: Regulation (EU) 2021/821 Art. 8(3)(a).
    let a = run(&op(|v| {
        listed(v, "software", "4D004");
        v["type"] = json!("technical_assistance");
        v["destination"] = json!("JP");
        v["facts"] = json!({"informed": ["wmd"]});
    }));
    assert_eq!(a.decision, Decision::NoLicenceRequired);
    assert_cites(&a, "2021/821", "Art. 8(3)(a)");
}

#[test]
fn art_11_1_intra_eu_transfer_of_an_annex_iv_item() {
    // Expected citations: Regulation (EU) 2021/821 Art. 11(1) and Annex IV Part I.
    let a = run(&op(|v| {
        listed(v, "hardware", "5A004.a");
        v["type"] = json!("intra_eu_transfer");
        v["destination"] = json!("DE");
        v["parties"][0]["country"] = json!("DE");
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "2021/821", "Art. 11(1)");
    assert_cites(&a, "2021/821", "Annex IV Part I");
}

#[test]
fn art_11_9_intra_eu_transfer_of_a_listed_item_outside_annex_iv() {
    // Expected citation: Regulation (EU) 2021/821 Art. 11(9).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.j");
        v["type"] = json!("intra_eu_transfer");
        v["destination"] = json!("DE");
        v["parties"][0]["country"] = json!("DE");
    }));
    assert_eq!(a.decision, Decision::NoLicenceRequired);
    assert_cites(&a, "2021/821", "Art. 11(9)");
    assert!(
        a.authorisation
            .conditions
            .iter()
            .any(|c| c.contains("31 December 2029")),
        "three years: {:#?}",
        a.authorisation.conditions
    );
}

#[test]
fn art_27_records_are_kept_five_years_from_the_end_of_the_year() {
    // Expected citation: Regulation (EU) 2021/821 Art. 27(3).
    let a = run(&crate::support::base());
    assert_cites(&a, "2021/821", "Art. 27(3)");
    assert!(
        a.authorisation
            .conditions
            .iter()
            .any(|c| c.contains("31 December 2031"))
    );
}

// --- Sanctions overlays ---------------------------------------------------------------------

#[test]
fn reg_833_2014_art_2_1_bans_listed_items_to_russia() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(1).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert_cites(&a, "833/2014", "Art. 2(1)");
}

#[test]
fn reg_833_2014_art_2_1_reaches_an_end_user_in_russia_behind_another_destination() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(1).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("KZ");
        v["parties"] = json!([{"role": "consignee", "name": "Steppe Trade", "country": "KZ"}, {"role": "end_user", "name": "Moscow Telecom", "country": "RU"}]);
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert_cites(&a, "833/2014", "Art. 2(1)");
    assert!(
        a.red_flags
            .iter()
            .any(|f| f.code == "party_outside_destination")
    );
}

#[test]
fn reg_833_2014_art_2_3_d_software_update_exception_lifts_the_ban_not_the_licence() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(3)(d).
    let a = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["type"] = json!("electronic_transmission");
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
        v["facts"] = json!({"sanctions_exception": "software_updates"});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "833/2014", "Art. 2(3)(d)");
}

#[test]
fn reg_833_2014_art_2_3_exceptions_are_not_for_military_end_users() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(1).
    let a = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
        v["end_user_type"] = json!("military");
        v["facts"] = json!({"sanctions_exception": "software_updates"});
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert_cites(&a, "833/2014", "Art. 2(1)");
}

#[test]
fn reg_833_2014_non_listed_item_to_russia_is_held_for_review() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(1).
    let a = run(&op(|v| {
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
    }));
    assert_eq!(a.decision, Decision::Hold);
    assert_cites(&a, "833/2014", "Art. 2(1)");
}

#[test]
fn reg_765_2006_art_1e_bans_listed_items_to_belarus() {
    // Expected citation: Council Regulation (EC) No 765/2006 Art. 1e.
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("BY");
        v["parties"][0]["country"] = json!("BY");
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert_cites(&a, "765/2006", "Art. 1e");
}

#[test]
fn reg_359_2011_art_1b_iran_monitoring_equipment_needs_prior_authorisation() {
    // Expected citation: Council Regulation (EU) No 359/2011 Art. 1b.
    let a = run(&op(|v| {
        v["items"][0]["cyber_surveillance"] = json!(true);
        v["destination"] = json!("IR");
        v["parties"][0]["country"] = json!("IR");
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "359/2011", "Art. 1b");
}

#[test]
fn reg_359_2011_art_1b_refusal_ground_makes_it_prohibited() {
    // Expected citation: Council Regulation (EU) No 359/2011 Art. 1b.
    let a = run(&op(|v| {
        listed(v, "software", "5D001.e");
        v["destination"] = json!("IR");
        v["parties"][0]["country"] = json!("IR");
        v["facts"] = json!({"aware": ["internal_repression"]});
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert_cites(&a, "359/2011", "Art. 1b");
}

#[test]
fn reg_401_2013_art_3a_myanmar_bans_listed_items_for_military_end_users() {
    // Expected citation: Council Regulation (EU) No 401/2013 Art. 3a.
    let mil = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("MM");
        v["parties"][0]["country"] = json!("MM");
        v["end_user_type"] = json!("military");
    }));
    assert_eq!(mil.decision, Decision::Prohibited);
    assert_cites(&mil, "401/2013", "Art. 3a");
    let civil = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("MM");
        v["parties"][0]["country"] = json!("MM");
    }));
    // Outside the ban, the monitoring-equipment regime (Art. 3b) still asks for a check of the
    // item against its annex, which Vigil does not encode.
    assert_eq!(civil.decision, Decision::Hold);
    assert_cites(&civil, "401/2013", "Art. 3b");
}

#[test]
fn reg_36_2012_art_4_syria_rests_on_an_unverified_text_and_says_so() {
    // Expected citation: Council Regulation (EU) No 36/2012 Art. 4.
    let a = run(&op(|v| {
        v["items"][0]["cyber_surveillance"] = json!(true);
        v["destination"] = json!("SY");
        v["parties"][0]["country"] = json!("SY");
    }));
    assert_cites(&a, "36/2012", "Art. 4");
    assert!(
        a.reasons.iter().any(|r| r.contains("[UNVERIFIED]")),
        "{:#?}",
        a.reasons
    );
}

// --- Input errors ---------------------------------------------------------------------------

fn input_error(v: &serde_json::Value) -> String {
    let input = match parse_operation_json(&v.to_string()) {
        Ok(i) => i,
        Err(e) => return e.to_string(),
    };
    match input.check(&LAW, date!(2026 - 06 - 01)) {
        Ok(_) => panic!("expected an input error for {v:#}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn input_unknown_export_type_names_the_field() {
    let e = input_error(&op(|v| v["type"] = json!("smuggling")));
    assert!(e.contains("type") && e.contains("smuggling"), "{e}");
}

#[test]
fn input_unknown_country_names_the_field() {
    let e = input_error(&op(|v| v["parties"][0]["country"] = json!("XX")));
    assert!(e.contains("parties[0].country") && e.contains("XX"), "{e}");
}

#[test]
fn input_unknown_annex_i_entry_suggests_the_nearest() {
    let e = input_error(&op(|v| v["items"][0]["entries"] = json!(["5A001.k"])));
    assert!(
        e.contains("items[0].entries[0]") && e.contains("nearest entries: 5A001"),
        "{e}"
    );
}

#[test]
fn input_malformed_date_names_the_field() {
    let e = input_error(&op(|v| v["date"] = json!("01/03/2026")));
    assert!(e.contains("date") && e.contains("YYYY-MM-DD"), "{e}");
}

#[test]
fn input_date_before_the_law_loaded_is_an_error() {
    let e = input_error(&op(|v| v["date"] = json!("2024-01-10")));
    assert!(e.contains("earliest law version"), "{e}");
}

#[test]
fn input_empty_items_is_an_error() {
    let e = input_error(&op(|v| v["items"] = json!([])));
    assert!(e.contains("items") && e.contains("empty"), "{e}");
}

#[test]
fn input_an_export_to_a_member_state_is_an_error() {
    let e = input_error(&op(|v| v["destination"] = json!("DE")));
    assert!(e.contains("intra_eu_transfer"), "{e}");
}

#[test]
fn input_unknown_fact_key_is_rejected() {
    let e = input_error(&op(|v| v["facts"] = json!({"informd": ["wmd"]})));
    assert!(e.contains("facts") && e.contains("informd"), "{e}");
}

// --- Screening ------------------------------------------------------------------------------

fn hit(score: f64, cleared: bool) -> vigil_domain::ScreeningHit {
    vigil_domain::ScreeningHit {
        role: "end_user".into(),
        party: "End User Inc".into(),
        list: "un 2026-02-27".into(),
        entry_id: "QDe.001".into(),
        name: "Listed Entity".into(),
        matched_alias: "End User Incorporated".into(),
        score,
        why: "all tokens match".into(),
        cleared,
    }
}

#[test]
fn screening_an_uncleared_hit_at_the_threshold_puts_the_operation_on_hold() {
    let mut a = run(&op(|v| listed(v, "hardware", "5A002.a.2")));
    assert_eq!(a.decision, Decision::GeneralAuthorisation);
    vigil_domain::apply_screening(&mut a, vec![hit(0.80, false)], 0.80);
    assert_eq!(a.decision, Decision::Hold);
    assert_eq!(a.authorisation.kind, "none");
    assert_eq!(a.screening.len(), 1);
    assert!(a.reasons.iter().any(|r| r.contains("QDe.001")));
}

#[test]
fn screening_cleared_or_weak_hits_do_not_hold_but_stay_on_record() {
    let mut a = run(&op(|v| listed(v, "hardware", "5A002.a.2")));
    vigil_domain::apply_screening(&mut a, vec![hit(0.95, true), hit(0.79, false)], 0.80);
    assert_eq!(a.decision, Decision::GeneralAuthorisation);
    assert_eq!(a.screening.len(), 2);
}

#[test]
fn screening_never_relaxes_a_prohibition() {
    let mut a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
    }));
    vigil_domain::apply_screening(&mut a, vec![hit(0.99, false)], 0.80);
    assert_eq!(a.decision, Decision::Prohibited);
}

// --- Findings of the legal review (2026-11-25) ----------------------------------------------

#[test]
fn annex_ii_section_a_eu001_counts_the_end_users_country_not_only_the_destination() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); EU001 refused for an end user in CN.
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["parties"] = json!([{"role": "consignee", "name": "Forwarder", "country": "US"}, {"role": "end_user", "name": "Buyer", "country": "CN"}]);
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("EU001") && r.contains("CN")),
        "{:#?}",
        a.reasons
    );
}

#[test]
fn annex_ii_section_h_a_security_end_use_in_the_text_bars_eu008() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); EU008 barred (security end use).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["destination"] = json!("BR");
        v["parties"][0]["country"] = json!("BR");
        v["end_use"] =
            json!("Encrypted network for the Brazilian Army, installed by our integrator");
        v["facts"] = json!({"published_crypto_standards": true});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert!(
        a.red_flags
            .iter()
            .any(|f| f.code == "security_end_use_indicated")
    );
}

#[test]
fn annex_ii_section_h_eu008_covers_only_software_for_5a002_a2_and_a3_items() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); EU008 does not cover 5A002.a.1 software.
    let a = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["items"][0]["relates_to"] = json!(["5A002.a.1"]);
        v["destination"] = json!("BR");
        v["parties"][0]["country"] = json!("BR");
        v["facts"] = json!({"published_crypto_standards": true});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert_cites(&a, "2021/821", "Art. 3(1)");
}

#[test]
fn annex_ii_section_h_eu008_covers_activation_token_technology_and_software() {
    // Expected citation: Regulation (EU) 2021/821 Annex II Section H (Part 1(1): 5D002.b and
    // 5E002.b relate to the 5A002.b activation tokens, 5D002.a.1 to 5D002.c.1 software).
    for (kind, code, relates) in [
        ("technology", "5E002.b", "5A002.b"),
        ("software", "5D002.b", "5A002.b"),
        ("software", "5D002.a.1", "5D002.c.1"),
    ] {
        let a = run(&op(|v| {
            listed(v, kind, code);
            v["items"][0]["relates_to"] = json!([relates]);
            v["type"] = json!("electronic_transmission");
            v["destination"] = json!("BR");
            v["parties"][0]["country"] = json!("BR");
            v["facts"] = json!({"published_crypto_standards": true, "use_software_only": true});
        }));
        assert_eq!(
            a.authorisation.kind, "EU008",
            "{code} for {relates}: {:#?}",
            a.reasons
        );
        assert_cites(&a, "2021/821", "Annex II Section H");
    }
}

#[test]
fn annex_ii_a_refusal_resting_on_an_unverified_country_group_says_so() {
    // Expected citation: Regulation (EU) 2021/821 Art. 12 (licence required); Haiti is excluded
    // from EU008 only through the arms-embargo working list, which the fact sheet does not confirm.
    let crypto = |destination: &str| {
        run(&op(|v| {
            listed(v, "hardware", "5A002.a.2");
            v["destination"] = json!(destination);
            v["parties"][0]["country"] = json!(destination);
            v["facts"] = json!({"published_crypto_standards": true});
        }))
    };
    let unverified = "[UNVERIFIED] Some general authorisations were refused on country groups";
    let ht = crypto("HT");
    assert_eq!(ht.decision, Decision::LicenceRequired);
    assert!(
        ht.reasons.iter().any(|r| r.contains(unverified)),
        "{:#?}",
        ht.reasons
    );
    // Refused by name (Section H Part 2(b), verified): no such caveat.
    let cn = crypto("CN");
    assert_eq!(cn.decision, Decision::LicenceRequired);
    assert!(
        !cn.reasons.iter().any(|r| r.contains(unverified)),
        "{:#?}",
        cn.reasons
    );
}

#[test]
fn annex_ii_section_e_eu005_covers_5e001a_only_for_installation_and_maintenance() {
    // Expected citation: Regulation (EU) 2021/821 Annex II Section E (when the condition holds).
    let tech = |facts: serde_json::Value| {
        run(&op(|v| {
            listed(v, "technology", "5E001.a");
            v["items"][0]["relates_to"] = json!(["5A001.c"]);
            v["type"] = json!("electronic_transmission");
            v["destination"] = json!("CN");
            v["parties"][0]["country"] = json!("CN");
            v["facts"] = facts;
        }))
    };
    assert_eq!(tech(json!({})).decision, Decision::LicenceRequired);
    let ok = tech(json!({"installation_maintenance_technology_same_end_user": true}));
    assert_eq!(ok.authorisation.kind, "EU005");
    assert_cites(&ok, "2021/821", "Annex II Section E");
}

#[test]
fn annex_ii_section_g_eu007_asks_what_broad_technology_relates_to() {
    // Expected citation: Regulation (EU) 2021/821 Art. 3(1); EU007 refused without relates_to.
    let a = run(&op(|v| {
        listed(v, "technology", "5E001.a");
        v["type"] = json!("electronic_transmission");
        v["destination"] = json!("IN");
        v["parties"] = json!([{"role": "subsidiary", "name": "X India", "country": "IN"}]);
        v["facts"] = json!({"intra_group": true, "commercial_product_development": true});
    }));
    assert_eq!(a.decision, Decision::LicenceRequired);
    assert!(
        a.reasons.iter().any(|r| r.contains("relates_to")),
        "{:#?}",
        a.reasons
    );
}

#[test]
fn annex_ii_section_c_eu003_needs_the_original_end_user() {
    // Expected citation: Regulation (EU) 2021/821 Annex II Section C (when it applies).
    let repair = |original: bool| {
        run(&op(|v| {
            listed(v, "hardware", "5A002.a.2");
            v["destination"] = json!("CN");
            v["parties"][0]["country"] = json!("CN");
            v["facts"] = json!({"repair_or_replacement": true, "original_export_authorised": true, "original_end_user": original});
        }))
    };
    assert_eq!(repair(false).decision, Decision::LicenceRequired);
    let ok = repair(true);
    assert_eq!(ok.authorisation.kind, "EU003");
    assert_cites(&ok, "2021/821", "Annex II Section C");
}

#[test]
fn reg_359_2011_art_1b_a_state_security_end_user_must_be_refused() {
    // Expected citation: Council Regulation (EU) No 359/2011 Art. 1b.
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.j");
        v["items"][0]["cyber_surveillance"] = json!(true);
        v["destination"] = json!("IR");
        v["parties"][0]["country"] = json!("IR");
        v["end_user_type"] = json!("government_security");
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert_cites(&a, "359/2011", "Art. 1b");
}

#[test]
fn reg_359_2011_art_1b_items_outside_the_mapped_entries_are_held() {
    // Expected citation: Council Regulation (EU) No 359/2011 Art. 1b.
    let a = run(&op(|v| {
        v["destination"] = json!("IR");
        v["parties"][0]["country"] = json!("IR");
    }));
    assert_eq!(a.decision, Decision::Hold);
    assert!(a.reasons.iter().any(|r| r.contains("[UNVERIFIED]")));
}

#[test]
fn reg_765_2006_art_1e_services_for_listed_items_are_held() {
    // Expected citation: Council Regulation (EC) No 765/2006 Art. 1e.
    let a = run(&op(|v| {
        listed(v, "hardware", "5A002.a.2");
        v["type"] = json!("technical_assistance");
        v["destination"] = json!("BY");
        v["parties"][0]["country"] = json!("BY");
    }));
    assert_eq!(a.decision, Decision::Hold);
    assert_cites(&a, "765/2006", "Art. 1e");
}

#[test]
fn reg_833_2014_art_2_3_exception_for_a_state_security_end_user_is_held() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(3)(d).
    let a = run(&op(|v| {
        listed(v, "software", "5D002.c.1");
        v["type"] = json!("electronic_transmission");
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
        v["end_user_type"] = json!("government_security");
        v["facts"] = json!({"sanctions_exception": "software_updates"});
    }));
    assert_eq!(a.decision, Decision::Hold);
    assert_cites(&a, "833/2014", "Art. 2(3)(d)");
}

#[test]
fn a_prohibited_operation_carries_no_licence_application() {
    // Expected citation: Council Regulation (EU) No 833/2014 Art. 2(1).
    let a = run(&op(|v| {
        listed(v, "hardware", "5A001.j");
        v["destination"] = json!("RU");
        v["parties"][0]["country"] = json!("RU");
    }));
    assert_eq!(a.decision, Decision::Prohibited);
    assert!(
        a.authorisation
            .conditions
            .iter()
            .all(|c| !c.contains("Apply to")),
        "{:#?}",
        a.authorisation.conditions
    );
    assert!(
        a.authorisation
            .conditions
            .iter()
            .any(|c| c.contains("Do not export"))
    );
}

#[test]
fn art_8_3_a_exempt_assistance_still_points_at_the_technology_export() {
    // Expected citation: Regulation (EU) 2021/821 Art. 8(3)(a).
    let a = run(&op(|v| {
        listed(v, "software", "4D004");
        v["type"] = json!("technical_assistance");
        v["destination"] = json!("JP");
    }));
    assert_cites(&a, "2021/821", "Art. 8(3)(a)");
    assert!(
        a.reasons.iter().any(|r| r.contains("Art. 2(2)(d)")),
        "{:#?}",
        a.reasons
    );
}
