//! Helpers live in each test file; this crate only hosts the end-to-end tests.
