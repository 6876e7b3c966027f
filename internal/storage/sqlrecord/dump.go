package sqlrecord

import (
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
)

// StoreIsEmpty is Import's check of the store before it writes anything: a query of one
// boolean, true when no table Import writes holds a row (identities and logins cannot
// exist without a pool). It is the same SQL in both backends' dialects and schemas.
const StoreIsEmpty = `SELECT NOT (EXISTS (SELECT 1 FROM signing_keys) OR EXISTS (SELECT 1 FROM iam_roles)
	OR EXISTS (SELECT 1 FROM iam_providers) OR EXISTS (SELECT 1 FROM identity_pools))`

// ErrNotEmpty is Import's error when StoreIsEmpty is false.
var ErrNotEmpty = fmt.Errorf("import into a store that holds data: %w", storage.ErrAlreadyExists)

// ImportRow is where a record of an import goes.
type ImportRow struct {
	// Kind is the record's kind, as storage.Record.Kind names it.
	Kind string
	// Key names the record in errors: its ID or ARN; empty for keys.
	Key string
	// Args are the values of the row that stores the record, in the order of its kind's
	// columns (RoleColumns, ProviderColumns, PoolColumns); for keys, the
	// JSON of signing_keys.keys alone. An identity, rows of two tables, has none: each
	// backend writes those its own way.
	Args []any
}

// Importer checks the records of one Import as they come, in the order the contract
// demands, and says where each goes. The zero value is ready to use.
type Importer struct {
	pools map[string]bool // the IDs of the pools imported so far
}

// Row returns where r goes. It fails when r has no kind or more than one, when r does not
// encode, and with storage.ErrNotFound when r is an identity whose pool has not come
// before it. That check cannot be left to the foreign key: a backend that buffers rows
// may write a batch's pools before its identities whatever their order in the import.
func (im *Importer) Row(r storage.Record) (ImportRow, error) {
	var (
		row = ImportRow{Kind: r.Kind()}
		err error
	)
	switch row.Kind {
	case "keys":
		var b []byte
		if b, err = EncodeKeys(r.Keys); err == nil {
			row.Args = []any{string(b)}
		}
	case "role":
		row.Key = r.Role.ARN
		row.Args, err = RoleArgs(r.Role)
	case "provider":
		row.Key = r.Provider.ARN
		row.Args, err = ProviderArgs(r.Provider)
	case "pool":
		row.Key = r.Pool.ID
		if row.Args, err = PoolArgs(r.Pool); err == nil {
			if im.pools == nil {
				im.pools = map[string]bool{}
			}
			im.pools[r.Pool.ID] = true
		}
	case "identity":
		id := r.Identity
		row.Key = id.ID
		if !im.pools[id.PoolID] {
			return ImportRow{}, fmt.Errorf("pool %s of identity %s (a pool must come before its identities): %w", id.PoolID, id.ID, storage.ErrNotFound)
		}
	default:
		return ImportRow{}, errors.New("a record must have exactly one kind")
	}
	if err != nil {
		if row.Key == "" {
			return ImportRow{}, fmt.Errorf("encode %s: %w", row.Kind, err)
		}
		return ImportRow{}, fmt.Errorf("encode %s %s: %w", row.Kind, row.Key, err)
	}
	return row, nil
}
