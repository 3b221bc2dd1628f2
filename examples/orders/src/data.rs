//! The orders of each branch, kept in memory and seeded from a JSON file that also names
//! the branches the branch switcher offers.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

/// The data file (`ORDERS_DATA`): the branches this product knows, by Tessera branch id,
/// each with its seed orders.
///
/// ```json
/// {"branches": [
///   {"id": "0193...", "name": "North",
///    "orders": [{"sku": "FLOUR-25", "quantity": 3, "customer": "Alpha Bakery"}]},
///   {"id": "0194...", "name": "South", "orders": []}
/// ]}
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// The known branches.
    pub branches: Vec<BranchSeed>,
}

/// One branch of the data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSeed {
    /// The Tessera branch id (the `branch` claim of access tokens).
    pub id: String,
    /// A display name.
    pub name: String,
    /// Orders the branch starts with.
    #[serde(default)]
    pub orders: Vec<NewOrder>,
}

/// An order as a client submits it (`POST /api/orders`) or the data file seeds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// Stock keeping unit: 1-64 characters of `A-Z a-z 0-9 - _ .`.
    pub sku: String,
    /// 1 to 10 000.
    pub quantity: u32,
    /// Who ordered: 1-100 characters, no control characters.
    pub customer: String,
}

impl NewOrder {
    /// Checks the fields; the message names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        let sku_ok = (1..=64).contains(&self.sku.len())
            && self
                .sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !sku_ok {
            return Err("sku must be 1-64 characters of A-Z a-z 0-9 - _ .".into());
        }
        if !(1..=10_000).contains(&self.quantity) {
            return Err("quantity must be between 1 and 10000".into());
        }
        let customer = self.customer.trim();
        if customer.is_empty()
            || customer.chars().count() > 100
            || customer.chars().any(char::is_control)
        {
            return Err("customer must be 1-100 characters without control characters".into());
        }
        Ok(())
    }
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// `ord-N`, unique in this process.
    pub id: String,
    /// Stock keeping unit.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// Who ordered.
    pub customer: String,
    /// The `sub` of the token that created it; `None` for seed orders.
    pub created_by: Option<String>,
}

/// A branch the product knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The Tessera branch id.
    pub id: String,
    /// The display name.
    pub name: String,
}

/// Orders keyed by branch id. Every read and write names exactly one branch: there is no
/// way to list across branches.
#[derive(Debug)]
pub struct OrderStore {
    branches: Vec<Branch>,
    orders: RwLock<HashMap<String, Vec<Order>>>,
    next_id: AtomicU64,
}

impl OrderStore {
    /// Reads and checks the data file at `path`.
    pub fn from_file(path: &Path) -> Result<OrderStore, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let data: DataFile = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid data file: {e}", path.display()))?;
        OrderStore::from_data(data)
    }

    /// A store seeded from `data`: branch ids must be non-empty and unique, seed orders
    /// valid.
    pub fn from_data(data: DataFile) -> Result<OrderStore, String> {
        let mut store = OrderStore {
            branches: Vec::with_capacity(data.branches.len()),
            orders: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        };
        let mut seen = HashSet::new();
        for seed in data.branches {
            if seed.id.trim().is_empty() || seed.name.trim().is_empty() {
                return Err("every branch needs a non-empty id and name".into());
            }
            if !seen.insert(seed.id.clone()) {
                return Err(format!("branch {} is listed twice", seed.id));
            }
            for order in seed.orders {
                order
                    .validate()
                    .map_err(|e| format!("a seed order of branch {}: {e}", seed.name))?;
                store.insert(&seed.id, order, None);
            }
            store.branches.push(Branch {
                id: seed.id,
                name: seed.name,
            });
        }
        Ok(store)
    }

    /// The branches of the data file, in file order.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// The display name of `branch`, if the data file names it.
    pub fn branch_name(&self, branch: &str) -> Option<&str> {
        self.branches
            .iter()
            .find(|b| b.id == branch)
            .map(|b| b.name.as_str())
    }

    /// The orders of `branch`, oldest first.
    pub fn list(&self, branch: &str) -> Vec<Order> {
        self.orders
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(branch)
            .cloned()
            .unwrap_or_default()
    }

    /// Validates `order` and appends it to `branch`.
    pub fn create(&self, branch: &str, order: NewOrder, created_by: &str) -> Result<Order, String> {
        order.validate()?;
        Ok(self.insert(branch, order, Some(created_by)))
    }

    fn insert(&self, branch: &str, order: NewOrder, created_by: Option<&str>) -> Order {
        let order = Order {
            id: format!("ord-{}", self.next_id.fetch_add(1, Ordering::Relaxed)),
            sku: order.sku,
            quantity: order.quantity,
            customer: order.customer.trim().to_string(),
            created_by: created_by.map(str::to_string),
        };
        self.orders
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(branch.to_string())
            .or_default()
            .push(order.clone());
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(sku: &str, quantity: u32, customer: &str) -> NewOrder {
        NewOrder {
            sku: sku.into(),
            quantity,
            customer: customer.into(),
        }
    }

    #[test]
    fn orders_stay_in_their_branch() {
        let data: DataFile = serde_json::from_str(
            r#"{"branches": [
                {"id": "a", "name": "North", "orders": [{"sku": "F-1", "quantity": 2, "customer": "Al"}]},
                {"id": "b", "name": "South"}]}"#,
        )
        .unwrap();
        let store = OrderStore::from_data(data).unwrap();
        assert_eq!(store.branch_name("b"), Some("South"));
        assert_eq!(store.list("a").len(), 1);
        assert!(store.list("b").is_empty());
        let made = store
            .create("b", order("S-2", 1, " Bo "), "user-1")
            .unwrap();
        assert_eq!(made.customer, "Bo");
        assert_eq!(made.created_by.as_deref(), Some("user-1"));
        assert_eq!(store.list("b"), vec![made.clone()]);
        assert_eq!(store.list("a").len(), 1);
        assert_ne!(store.list("a")[0].id, made.id);
    }

    #[test]
    fn bad_orders_and_bad_files_are_refused() {
        for bad in [
            order("", 1, "x"),
            order("A B", 1, "x"),
            order("A", 0, "x"),
            order("A", 10_001, "x"),
            order("A", 1, "  "),
            order("A", 1, "a\nb"),
        ] {
            assert!(bad.validate().is_err(), "{bad:?} accepted");
        }
        let twice: DataFile = serde_json::from_str(
            r#"{"branches": [{"id": "a", "name": "N"}, {"id": "a", "name": "S"}]}"#,
        )
        .unwrap();
        assert!(OrderStore::from_data(twice).is_err());
        assert!(serde_json::from_str::<DataFile>(r#"{"branchez": []}"#).is_err());
    }
}
