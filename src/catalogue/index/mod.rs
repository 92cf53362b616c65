//! The local catalogue index.

pub mod text;
