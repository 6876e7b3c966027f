// Package storage is the contract between idpool's operations and its durable backends.
//
// Every backend (SQLite in internal/storage/sqlite, PostgreSQL later) implements Store and
// runs the conformance suite in internal/storage/storagetest unchanged. Records here are the
// persisted shapes; wire shapes live in internal/api and are converted in internal/cognito.
//
// Rules every backend keeps:
//   - a call that returns nil has committed durably (it survives kill -9);
//   - read-modify-write goes through an updater func run inside one transaction, so two
//     concurrent updates of the same record never lose each other's changes;
//   - failures are reported with the sentinel errors below, wrapped with %w;
//   - records come back as they were stored: nil and empty maps and slices stay as they
//     were given, times keep at least millisecond precision (returned in UTC), and the
//     backend never sets timestamps itself;
//   - returned records share no memory with each other or with the caller's;
//   - IDs are unique across all accounts and sort in byte order (PostgreSQL needs
//     COLLATE "C" on ID columns);
//   - a second Close returns the first one's result.
package storage
