-- Temporary credentials issued by idpool's built-in STS. Times are unix milliseconds.
--
-- access_key_id is the primary key and the only lookup of the hot path (every request
-- signed with session credentials reads its row). secret_access_key and session_token are
-- bearer secrets stored in the clear, as the server must have the secret to check
-- signatures; protect the database accordingly. There is no foreign key to identity_pools
-- or identities: credentials stay valid until they expire even when their pool or
-- identity is deleted, as in AWS. tags is the JSON of storage.Session.Tags: "null" for
-- nil, "{}" for empty.
CREATE TABLE sessions (
	access_key_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	secret_access_key TEXT             NOT NULL,
	session_token     TEXT             NOT NULL,
	account_id        TEXT COLLATE "C" NOT NULL,
	role_arn          TEXT COLLATE "C" NOT NULL,
	session_name      TEXT COLLATE "C" NOT NULL,
	identity_id       TEXT COLLATE "C" NOT NULL,
	pool_id           TEXT COLLATE "C" NOT NULL,
	tags              TEXT             NOT NULL,
	created_at        BIGINT           NOT NULL,
	expiry            BIGINT           NOT NULL
);

-- Serves DeleteExpiredSessions (a range of expiry).
CREATE INDEX sessions_expiry ON sessions (expiry);
