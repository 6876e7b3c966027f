package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations loads this backend's migrations: the numbered files of migrations/, in order.
func migrations() ([]sqlrecord.Migration, error) {
	ms, err := sqlrecord.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// migrationLock is the key of the session-level advisory lock that serialises schema
// migrations across every node opening the same database: the bytes of "idpool-m". Advisory
// locks are per database, so other databases on the server do not contend for it.
const migrationLock int64 = 0x6964706f6f6c2d6d

// migrate brings the schema up to date on conn and returns how many migrations it applied.
//
// Several nodes may start at once. Each takes the advisory lock first and waits for the
// others (honouring ctx), so that the creation of schema_migrations, the read of what is
// applied and the migrations themselves happen in one node at a time; a node that comes
// second finds everything applied. Each migration runs in its own transaction with the row
// that records it, so a crash or a failing statement leaves the database at the previous
// version, never half-way.
func migrate(ctx context.Context, conn *pgx.Conn) (applied int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, fmt.Errorf("postgres: take the migration lock: %w", err)
	}
	defer func() {
		// When the unlock fails the connection is in trouble; closing it, which Open does
		// next, releases the lock anyway.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock); uerr != nil && err == nil {
			err = fmt.Errorf("postgres: release the migration lock: %w", uerr)
		}
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL -- unix milliseconds
	)`); err != nil {
		return 0, fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	done := map[int]bool{}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return 0, fmt.Errorf("postgres: read schema version: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, fmt.Errorf("postgres: read schema version: %w", err)
	}
	for _, v := range versions {
		// A database touched by a newer idpool may have tables and invariants this binary
		// does not know about; writing to it could corrupt them, so refuse rather than guess.
		if int(v) > len(ms) {
			return 0, fmt.Errorf("postgres: database schema version %d is newer than this binary's %d; run a newer idpool", v, len(ms))
		}
		done[int(v)] = true
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := applyMigration(ctx, conn, m); err != nil {
			return applied, fmt.Errorf("postgres: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		applied++
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn *pgx.Conn, m sqlrecord.Migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Without arguments Exec uses the simple protocol, which runs every statement of
		// the file.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, time.Now().UnixMilli())
		return err
	})
}
