//! The release flow in the browser: an operator creates a blocked operation, an officer releases
//! it; the creator cannot (four eyes).
