//! The internal compliance programme's authorisations register (Recommendation (EU) 2019/1318,
//! element 6: record keeping, and Art. 12 of Regulation (EU) 2021/821):
//!
//! - [`licence`]: the terms of an individual or global export authorisation (Art. 12(1)(a)–(b)),
//!   their validation (validity limits of Art. 12(3)) and the draw-down check of one operation
//!   against them (scope, validity, quotas);
//! - [`amendment`]: an amendment of a licence by its authority: the new terms checked by the
//!   same rules, and against what was already drawn; what changed;
//! - [`deadlines`]: the dates an organisation must keep when it uses a Union general export
//!   authorisation (registration, notice of first use, yearly reports — Annex II, taken from the
//!   law data), and licence expiries.
//!
//! Pure: dates come in as arguments, nothing is read from the clock or the disk.

pub mod amendment;
pub mod deadlines;
pub mod licence;

pub use amendment::{
    DrawnSoFar, LicenceAmendment, LicenceAmendmentInput, TermChange, changes, check_against_drawn,
};
pub use deadlines::{
    Deadline, DeadlineKind, GeneralAuthorisationUse, licence_deadlines, ugea_deadlines, upcoming,
};
pub use licence::{
    DrawDown, DrawRequest, EXPIRY_WARNING_DAYS, LicenceKind, LicenceTerms, LicenceTermsInput,
    QUOTA_WARNING_PERCENT, Quota, QuotaUnit, Refusal, RefusalKind, RequestLine, UnitDraw, Warning,
    check_draw_down,
};
