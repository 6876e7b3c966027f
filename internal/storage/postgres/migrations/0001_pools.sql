-- Identity pools: the same logical table as the SQLite backend's. The columns are what
-- queries filter, sort and count on; every other field of storage.Pool lives in config as
-- JSON (sqlrecord.EncodePool), so adding a pool setting needs no migration. config is
-- TEXT, not JSONB: the backend never looks inside it, and TEXT keeps the exact bytes
-- sqlrecord wrote without a parse on every write. Times are unix milliseconds (BIGINT),
-- as in SQLite: the contract's precision, and UTC by construction.
--
-- Every ID and name column is COLLATE "C": IDs sort in byte order (part of the storage
-- contract, which a linguistic collation would break), and comparing in "C" is a memcmp,
-- cheaper than the database's default collation.
--
-- id alone is the primary key because pool IDs are global, as in AWS. Tables added later
-- reference identity_pools(id) ON DELETE CASCADE, so that DeletePool's single DELETE
-- removes everything that belongs to the pool in the same transaction.
CREATE TABLE identity_pools (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL,
	region     TEXT COLLATE "C" NOT NULL,
	name       TEXT COLLATE "C" NOT NULL,
	config     TEXT             NOT NULL,
	created_at BIGINT           NOT NULL,
	updated_at BIGINT           NOT NULL
);

-- Serves ListPools (a range scan in id order) and CreatePool's quota count, whose
-- predicate lock under SERIALIZABLE is a range of this index.
CREATE INDEX identity_pools_account_region_id ON identity_pools (account_id, region, id);
