// Package postgres is the PostgreSQL backend of the storage contract, for deployments of
// several idpool nodes on one database. It talks to the server through a pgxpool
// connection pool; pgx prepares each statement once per connection and caches it, so the
// hot reads (GetPool, GetPoolByID, GetIdentity, FindLogin, GetProvider, GetRole) are
// one round trip each.
//
// The schema is the SQLite backend's, table for table and index for index, in PostgreSQL
// types: every ID, ARN and name column is TEXT COLLATE "C" (IDs sort in byte order, as
// the contract demands), times are BIGINT unix milliseconds, and the JSON of pool and
// provider configs, keys and tags is package sqlrecord's, stored as TEXT. The numbered
// files in migrations/ are applied at Open under a session-level advisory lock, so that
// nodes starting together migrate once, and recorded in schema_migrations.
//
// Transactions whose reads decide their writes across rows (UpdateIdentities, CreatePool
// with its quota, UpdateKeys) run at SERIALIZABLE and are run again, after a jittered
// exponential backoff, when PostgreSQL aborts them with a serialization failure or a
// deadlock: their updater funcs may therefore run more than once, as the contract allows.
// UpdatePool and UpdateProvider lock their one row with SELECT ... FOR UPDATE instead, so
// their concurrent callers queue. Single-statement writes run on their own.
//
// The database user must be allowed to create tables in the schema the connection's
// search_path names first (on PostgreSQL 15 and later, the public schema is writable by
// its owner only): the database's owner, or a user granted CREATE on the schema.
//
// PostgreSQL text holds neither NUL bytes nor invalid UTF-8: records with such strings
// cannot be stored, and lookups by such keys answer ErrNotFound.
package postgres
