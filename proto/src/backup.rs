//! `POST /v1/backup`: an encrypted backup of the data dir.

use serde::{Deserialize, Serialize};

/// What to encrypt the backup with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// The passphrase that will open the backup (12 to 1024 characters); Tessera does not
    /// keep it, so a lost passphrase means a lost backup.
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, value_type = String, min_length = 12, max_length = 1024)
    )]
    pub passphrase: Option<String>,
}

/// The downloaded backup (binary, the age format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = Binary))]
pub struct Archive(pub Vec<u8>);
