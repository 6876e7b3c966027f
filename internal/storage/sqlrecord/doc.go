// Package sqlrecord holds the persisted JSON forms shared by the SQL backends.
//
// The SQLite and PostgreSQL backends keep in columns only what their queries filter, sort
// and count on; every other field of a storage record is stored as JSON in one text
// column. This package defines that JSON, so that both backends write the same bytes and
// a record means the same thing in either. Its struct tags, not the Go field names of
// package storage, are the format: renaming a storage field cannot orphan stored data,
// and a format change needs a migration of every backend that stores it.
//
// No field of the JSON is omitempty: nil and empty maps and slices come back as they
// went in, as the storage contract demands. Times are unix milliseconds (ToMillis), the
// precision the contract promises.
package sqlrecord
