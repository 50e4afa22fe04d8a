//! Ids of the rules the decision logic applies. Each id is described (title, summary, citation,
//! verification status) in `law/rules.toml`; loading fails if one is missing, so the code cannot
//! cite a rule the data does not define.

/// Art. 2(20): definition of cyber-surveillance items.
pub const ART_2_20: &str = "art_2_20";
/// Art. 3(1): listed items need an export authorisation.
pub const ART_3_1: &str = "art_3_1";
/// Art. 4(1): informed of a WMD/military/illegal-parts use → authorisation.
pub const ART_4_1: &str = "art_4_1";
/// Art. 4(2): aware of such a use → notify the authority.
pub const ART_4_2: &str = "art_4_2";
/// Art. 5(1): informed of internal repression risk for a cyber-surveillance item → authorisation.
pub const ART_5_1: &str = "art_5_1";
/// Art. 5(2): aware (due diligence) → notify, and wait for the authority.
pub const ART_5_2: &str = "art_5_2";
/// Art. 6(1): brokering of listed items when informed of Art. 4(1) uses.
pub const ART_6_1: &str = "art_6_1";
/// Art. 6(2): broker aware → notify.
pub const ART_6_2: &str = "art_6_2";
/// Art. 7: transit of non-Union listed items may be prohibited.
pub const ART_7: &str = "art_7";
/// Art. 8(1): technical assistance for listed items when informed of Art. 4(1) uses.
pub const ART_8_1: &str = "art_8_1";
/// Art. 8(2): provider aware → notify.
pub const ART_8_2: &str = "art_8_2";
/// Art. 8(3): exemptions for technical assistance.
pub const ART_8_3: &str = "art_8_3";
/// Art. 11(1): intra-EU transfer of Annex IV items needs an authorisation.
pub const ART_11_1: &str = "art_11_1";
/// Art. 11(2): a Member State may require an authorisation when the final destination is outside the Union.
pub const ART_11_2: &str = "art_11_2";
/// Art. 11(8): extra information for Category 5 Part 2 transfers.
pub const ART_11_8: &str = "art_11_8";
/// Art. 11(9): commercial documents must say the items are controlled.
pub const ART_11_9: &str = "art_11_9";
/// Art. 12(1)–(3): individual and global authorisations.
pub const ART_12: &str = "art_12";
/// Art. 12(4): global authorisations need an ICP.
pub const ART_12_4: &str = "art_12_4";
/// Art. 27: record keeping.
pub const ART_27: &str = "art_27";
/// Annex II: Union general export authorisations.
pub const ANNEX_II: &str = "annex_ii";

/// Every rule id the code applies.
pub const ALL: &[&str] = &[
    ART_2_20, ART_3_1, ART_4_1, ART_4_2, ART_5_1, ART_5_2, ART_6_1, ART_6_2, ART_7, ART_8_1,
    ART_8_2, ART_8_3, ART_11_1, ART_11_2, ART_11_8, ART_11_9, ART_12, ART_12_4, ART_27, ANNEX_II,
];
