package sqlrecord

import (
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
)

// RowScanner is one row of a query's result, as both drivers hand it out: *sql.Row and
// *sql.Rows of database/sql, pgx.Row and pgx.Rows of pgx.
type RowScanner interface{ Scan(dest ...any) error }

// Rows is a query's whole result, as both drivers hand it out: *sql.Rows, pgx.Rows.
type Rows interface {
	RowScanner
	Next() bool
	Err() error
}

// Row reads a record of one kind from a row of that kind's columns (PoolColumns,
// ProviderColumns or RoleColumns): it is a new PoolRow, CachedPoolRow, ProviderRow or
// RoleRow, handed to ReadRecord. A Row reads one row: the record it makes is part of it.
type Row[T any] interface {
	// scan scans row and returns row.Scan's error as is.
	scan(row RowScanner) error
	// record decodes what scan read.
	record() (*T, error)
	// kind names the record kind in errors: "pool", "provider" or "role".
	kind() string
	// key is the key of the record scan read (pool ID, provider ARN, role name), to name
	// it in errors.
	key() string
}

// ReadRecord reads a record through r from row. noRows is the driver's error for a
// missing row (sql.ErrNoRows, pgx.ErrNoRows), which ReadRecord turns into
// storage.ErrNotFound. key is the key looked up, to name the record in errors; it is empty
// for the rows of a list, which cannot be missing. The errors carry no backend prefix.
func ReadRecord[T any](row RowScanner, r Row[T], key string, noRows error) (*T, error) {
	if err := r.scan(row); err != nil {
		if errors.Is(err, noRows) {
			return nil, fmt.Errorf("%s %s: %w", r.kind(), key, storage.ErrNotFound)
		}
		return nil, fmt.Errorf("read %s %s: %w", r.kind(), key, err)
	}
	rec, err := r.record()
	if err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", r.kind(), r.key(), err)
	}
	return rec, nil
}

// ReadAll reads a record from every row of rows, each through a Row that newRow makes, for
// the lists (ListProviders, ListRoles). No row gives nil. The caller closes rows. The
// errors carry no backend prefix.
func ReadAll[T any](rows Rows, newRow func() Row[T]) ([]*T, error) {
	var out []*T
	for rows.Next() {
		rec, err := ReadRecord(rows, newRow(), "", nil) // a row of a list cannot be missing
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
