// Package sqlite is idpool's default storage backend: one SQLite database file, opened
// with the pure-Go modernc.org/sqlite driver so that idpool builds without cgo.
//
// Durability comes first. The database runs in WAL mode with synchronous=FULL, so a call
// that returned nil has been fsynced and survives kill -9 and power loss. WAL also lets
// reads proceed while a write commits, which is why the Store keeps two connection pools:
// one writer connection that every write transaction queues for (SQLite admits a single
// writer anyway, and queueing in Go beats failing with SQLITE_BUSY), and a read pool.
//
// The schema is created and upgraded by the numbered SQL files in migrations/, applied in
// order at Open and recorded in schema_migrations. Files are append-only; a database last
// opened by a newer idpool is refused rather than written with an older idea of its schema.
package sqlite
