package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	selectRole = `SELECT ` + sqlrecord.RoleColumns + ` FROM iam_roles WHERE account_id = ? AND name = ?`
	insertRole = `INSERT INTO iam_roles (` + sqlrecord.RoleColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// listRoles sorts by name in byte order (the column's NOCASE collation is overridden),
	// which is what storage.RoleStore promises.
	listRoles = `SELECT ` + sqlrecord.RoleColumns + ` FROM iam_roles WHERE account_id = ? ORDER BY name COLLATE BINARY`
)

// CreateRole implements storage.RoleStore.
func (s *Store) CreateRole(ctx context.Context, r *storage.Role) error {
	if r == nil {
		return errors.New("sqlite: CreateRole: nil role")
	}
	args, err := sqlrecord.RoleArgs(r)
	if err != nil {
		return fmt.Errorf("sqlite: encode role %s: %w", r.Name, err)
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertRole, args...)
		if isPrimaryKeyViolation(err) || hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			return fmt.Errorf("sqlite: role %s: %w", r.Name, storage.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert role %s: %w", r.Name, err)
		}
		return nil
	})
}

// GetRole implements storage.RoleStore.
func (s *Store) GetRole(ctx context.Context, accountID, name string) (*storage.Role, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read role %s: %w", name, err)
	}
	return scanRecord(s.getRole.QueryRowContext(ctx, accountID, name), new(sqlrecord.RoleRow), name)
}

// ListRoles implements storage.RoleStore. It returns nil when the account has no role.
func (s *Store) ListRoles(ctx context.Context, accountID string) ([]*storage.Role, error) {
	rows, err := s.r.QueryContext(ctx, listRoles, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list roles: %w", err)
	}
	defer rows.Close()
	out, err := sqlrecord.ReadAll(rows, func() sqlrecord.Row[storage.Role] { return new(sqlrecord.RoleRow) })
	if err != nil {
		return nil, fmt.Errorf("sqlite: list roles: %w", err)
	}
	return out, nil
}

// DeleteRole implements storage.RoleStore. Pools that name the role keep its ARN, as on
// AWS.
func (s *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM iam_roles WHERE account_id = ? AND name = ?`, accountID, name)
		return deleted(res, err, "role", name)
	})
}
