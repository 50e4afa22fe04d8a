//! The screening of an organisation's parties against the served lists: the latest result per
//! party, hit clearances per (party, list entry, entry content hash), and rescreening after an
//! import.
