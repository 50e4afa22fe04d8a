//! # vigil-e2e
//!
//! End-to-end tests of Vigil's web pages in a real browser: `tests/browser` starts chromedriver
//! and the server on loopback ports, drives headless Chromium through the story a new user
//! follows, saves a screenshot of each step under `target/e2e-screenshots/`, and fails on any
//! browser console error. This library is empty on purpose.
