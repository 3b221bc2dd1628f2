//! Small reusable view pieces shared by the console pages.

pub mod brand;
pub mod fact;
pub mod status_badge;
