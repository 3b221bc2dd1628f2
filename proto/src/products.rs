//! `/v1/products`: products, their clients and redirect URIs.
