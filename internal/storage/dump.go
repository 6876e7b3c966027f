package storage

import (
	"context"
	"iter"
)

// Dumper moves a whole deployment between stores, for example from SQLite to PostgreSQL
// (idpool export and idpool import).
type Dumper interface {
	// Export calls fn with every record of the store, read in one consistent snapshot:
	// first the keys (if any), then the roles, the IAM providers, and the pools, each pool
	// followed by its identities. An error from fn stops the export and is returned as is.
	Export(ctx context.Context, fn func(Record) error) error
	// Import stores every record of recs in one transaction: all of them or, on any
	// error, none. The store must be empty (no keys, roles, providers, pools or
	// identities), or Import fails with ErrAlreadyExists before writing anything. An
	// identity must come after its pool (ErrNotFound otherwise), as Export orders them;
	// a record with no field set, or more than one, is an error.
	Import(ctx context.Context, recs iter.Seq2[Record, error]) error
}

// Record is one item of an export: exactly one field is set.
type Record struct {
	Keys     *Keys        `json:"keys,omitempty"`
	Role     *Role        `json:"role,omitempty"`
	Provider *IAMProvider `json:"provider,omitempty"`
	Pool     *Pool        `json:"pool,omitempty"`
	Identity *Identity    `json:"identity,omitempty"`
}

// Kind names the field of r that is set ("keys", "role", ...), or "" when none is or
// more than one is.
func (r Record) Kind() string {
	kind, n := "", 0
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"keys", r.Keys != nil},
		{"role", r.Role != nil},
		{"provider", r.Provider != nil},
		{"pool", r.Pool != nil},
		{"identity", r.Identity != nil},
	} {
		if f.set {
			kind, n = f.name, n+1
		}
	}
	if n != 1 {
		return ""
	}
	return kind
}
