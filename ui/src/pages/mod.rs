//! One module per console page.

pub mod status;
