//! GPU kernel source generation (issue: GPU backends). Placeholder: filled by the GPU-backend work.
//!
//! This crate is a placeholder in the workspace layout of docs/ARCHITECTURE.md;
//! it has no API yet.
