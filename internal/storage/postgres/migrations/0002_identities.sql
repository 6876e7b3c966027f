-- Identities and the logins linked to them. Times are unix milliseconds.
CREATE TABLE identities (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	-- Deleting a pool deletes its identities, and through them their logins, inside
	-- DeletePool's statement.
	pool_id    TEXT COLLATE "C" NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
	disabled   BOOLEAN          NOT NULL,
	-- true when Identity.Logins was nil rather than empty: the contract keeps the two
	-- apart and the logins table alone cannot tell them apart when there are none.
	logins_nil BOOLEAN          NOT NULL,
	created_at BIGINT           NOT NULL,
	updated_at BIGINT           NOT NULL
);

-- Serves ListIdentities and Export (range scans in id order) and the cascade from
-- identity_pools.
CREATE INDEX identities_pool_id ON identities (pool_id, id);
-- Serves ListIdentities with hideDisabled, which then never reads disabled identities
-- (merged ones can far outnumber the live ones). Queries must say "NOT disabled" for the
-- planner to match the predicate.
CREATE INDEX identities_pool_id_enabled ON identities (pool_id, id) WHERE NOT disabled;

-- A login belongs to at most one identity per pool: the primary key is the backstop that
-- turns a second owner into a unique violation (storage.ErrConflict). It is also FindLogin's
-- lookup; INCLUDE puts identity_id in the index so that the lookup is an index-only scan
-- once the visibility map is set.
CREATE TABLE logins (
	pool_id     TEXT COLLATE "C" NOT NULL,
	provider    TEXT COLLATE "C" NOT NULL,
	subject     TEXT COLLATE "C" NOT NULL,
	identity_id TEXT COLLATE "C" NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
	position    INTEGER          NOT NULL, -- link order within the identity, from 0
	CONSTRAINT logins_pkey PRIMARY KEY (pool_id, provider, subject) INCLUDE (identity_id)
);

-- Loads an identity's logins in link order, and serves the cascade from identities.
CREATE INDEX logins_identity_position ON logins (identity_id, position);
