//! # vigil-domain
//!
//! The pure core of Vigil: Regulation (EU) 2021/821 and the sanctions overlays that bite on
//! dual-use and cyber-surveillance items, **as data** ([`law`], loaded from the `law/` folder and
//! embedded in the binary), and the decision logic that applies them:
//!
//! - [`classify`]: rank the Annex I entries that may apply to a product sheet, ask the questions
//!   that settle it, and read it against the Art. 2(20) definition of cyber-surveillance items;
//! - [`assess`]: decide one export operation (any export type) — prohibited, hold, licence
//!   required, notify the authority, Union general authorisation or no licence — with red flags,
//!   risk, reasons and every provision cited.
//!
//! - [`icp`]: the authorisations register — licence terms and their validation (Art. 12), the
//!   draw-down of an operation on a licence, and the deadlines of Union general authorisations
//!   (Annex II duties).
//!
//! - [`audit`]: the hash-chained audit trail (seal, verify), and [`access`]: roles and what they
//!   allow, shared by every front end.
//!
//! What this crate must never do: read files, the clock, the network or the environment. The law
//! files come in as text, and dates come in as arguments, so every decision can be reproduced.

pub mod access;
pub mod assess;
pub mod audit;
pub mod classify;
pub mod due_diligence;
pub mod fdi;
pub mod icp;
pub mod law;
pub mod notification;
pub mod rules;
pub mod spdx;
mod text;

pub use assess::{Assessment, Decision, ScreeningHit, apply_screening, assess, assess_json};
pub use classify::{Classification, ItemSheet, classify};
pub use law::{Law, LawError};
