//! One module per console page. `dashboard`, `settings`, `setup` and `signin` belong to
//! the shell; the others to their page owners (see the console contract).

pub mod apps;
pub mod audit;
pub mod businesses;
pub mod dashboard;
pub mod inspector;
pub mod keys;
pub mod products;
pub mod settings;
pub mod setup;
pub mod signin;
pub mod users;
