-- Identity pools. The columns are what queries filter, sort and count on; every other
-- field of storage.Pool lives in config as JSON (package sqlrecord), so adding a pool
-- setting needs no migration. Times are unix milliseconds.
--
-- id alone is the primary key because pool IDs are global, as in AWS. Tables added later
-- (identities, logins, ...) reference identity_pools(id) ON DELETE CASCADE, so that
-- DeletePool's single DELETE removes everything that belongs to the pool in the same
-- transaction.
CREATE TABLE identity_pools (
	id         TEXT    NOT NULL PRIMARY KEY,
	account_id TEXT    NOT NULL,
	region     TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	config     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- Serves ListPools (a range scan in id order) and the per-account quota count.
CREATE INDEX identity_pools_account_region_id ON identity_pools (account_id, region, id);
