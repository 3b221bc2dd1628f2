-- Deleting a product or client revokes its tokens by client_id and cascades its refresh
-- families: index both lookups so neither scans the whole table.
CREATE INDEX IF NOT EXISTS access_tokens_client ON access_tokens(client_id);
CREATE INDEX IF NOT EXISTS refresh_families_client ON refresh_families(client_id);
