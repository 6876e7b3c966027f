package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations loads this backend's migrations: the numbered files of migrations/, in order.
func migrations() ([]sqlrecord.Migration, error) {
	ms, err := sqlrecord.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// migrate brings the schema of db up to date with ms and returns how many migrations it
// applied. Each migration runs in its own write transaction together with the row that
// records it, so a crash or a failing statement leaves the database at the previous
// version, never half-way. The applied check happens inside that transaction, which makes
// two processes opening the same file at once safe.
func migrate(ctx context.Context, db *sql.DB, ms []sqlrecord.Migration) (int, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL -- unix milliseconds
	) STRICT`); err != nil {
		return 0, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	// A database touched by a newer idpool may have tables and invariants this binary does
	// not know about; writing to it could corrupt them, so refuse rather than guess.
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if newest.Int64 > int64(len(ms)) {
		return 0, fmt.Errorf("sqlite: database schema version %d is newer than this binary's %d; run a newer idpool", newest.Int64, len(ms))
	}
	applied := 0
	for _, m := range ms {
		did, err := applyMigration(ctx, db, m)
		if err != nil {
			return applied, fmt.Errorf("sqlite: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, db *sql.DB, m sqlrecord.Migration) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil || !applied {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
