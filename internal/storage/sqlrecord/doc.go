// Package sqlrecord holds what the SQL backends (SQLite and PostgreSQL) share, so that each
// keeps only its SQL and its driver handling.
//
// First, the persisted forms. The backends keep in columns only what their queries
// filter, sort and count on; every other field of a storage record is stored as JSON in
// one text column. This package defines that JSON, so that both backends write the same
// bytes and a record means the same thing in either. Its struct tags, not the Go field
// names of package storage, are the format: renaming a storage field cannot orphan stored
// data, and a format change needs a migration of every backend that stores it.
//
// No field of the JSON is omitempty: nil and empty maps and slices come back as they
// went in, as the storage contract demands. Times are unix milliseconds (ToMillis), the
// precision the contract promises.
//
// Then, the rows, which are the same in both schemas: each record kind's column list
// (PoolColumns, ...), the arguments that INSERT a record (PoolArgs, ...), the scan
// destinations that turn a row back into one (PoolRow, ..., read by ReadRecord), and the
// assembly of identities from the rows of their join with their logins
// (IdentityAssembler).
//
// Last, the steps of the contract that do not depend on the database: what UpdatePool,
// UpdateProvider and UpdateKeys do between reading a row and writing it back, the checks
// and routing of Import's records (Importer), and the loading of a backend's numbered
// migration files (LoadMigrations).
//
// Nothing here talks to a database. Errors carry no backend prefix: the backends add
// theirs ("sqlite: ...", "postgres: ..."), and the helpers that also return a caller's
// error as is take a func that prefixes only their own.
package sqlrecord
