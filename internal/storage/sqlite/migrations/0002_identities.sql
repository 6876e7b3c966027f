-- Identities and the logins linked to them. Times are unix milliseconds.
--
-- Both tables are WITHOUT ROWID: their keys are text, so a rowid table would keep a second
-- B-tree for the primary key and every lookup would walk both. Here GetIdentity is one
-- B-tree descent for the identity and one range of logins_identity_position, and FindLogin
-- is one descent of the logins table, whose primary key carries identity_id with it.
CREATE TABLE identities (
	id         TEXT    NOT NULL PRIMARY KEY,
	-- Deleting a pool deletes its identities, and through them their logins, inside
	-- DeletePool's transaction (foreign_keys is on for every connection).
	pool_id    TEXT    NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
	disabled   INTEGER NOT NULL CHECK (disabled IN (0, 1)),
	-- 1 when Identity.Logins was nil rather than empty: the contract keeps the two apart
	-- and the logins table alone cannot tell them apart when there are none.
	logins_nil INTEGER NOT NULL CHECK (logins_nil IN (0, 1)),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Serves ListIdentities (a range scan in id order) and the cascade from identity_pools.
CREATE INDEX identities_pool_id ON identities (pool_id, id);
-- Serves ListIdentities with hideDisabled, which then never reads disabled identities
-- (merged ones can far outnumber the live ones).
CREATE INDEX identities_pool_id_enabled ON identities (pool_id, id) WHERE disabled = 0;

-- A login belongs to at most one identity per pool: the primary key is the backstop that
-- turns a second owner into a constraint violation (storage.ErrConflict).
CREATE TABLE logins (
	pool_id     TEXT    NOT NULL,
	provider    TEXT    NOT NULL,
	subject     TEXT    NOT NULL,
	identity_id TEXT    NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL, -- link order within the identity, from 0
	PRIMARY KEY (pool_id, provider, subject)
) STRICT, WITHOUT ROWID;

-- Loads an identity's logins in link order, and serves the cascade from identities.
CREATE INDEX logins_identity_position ON logins (identity_id, position);
