package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	// selectRole compares names case-insensitively through the expression of the unique
	// index iam_roles_account_lower_name. The parameter is folded in "C" like the column,
	// so that only ASCII letters fold on both sides.
	selectRole = `SELECT ` + sqlrecord.RoleColumns + ` FROM iam_roles WHERE account_id = $1 AND lower(name) = lower($2::text COLLATE "C")`
	insertRole = `INSERT INTO iam_roles (` + sqlrecord.RoleColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	deleteRole = `DELETE FROM iam_roles WHERE account_id = $1 AND lower(name) = lower($2::text COLLATE "C")`
	// listRoles sorts by name in byte order (the column is COLLATE "C"), from the
	// (account_id, name) index.
	listRoles = `SELECT ` + sqlrecord.RoleColumns + ` FROM iam_roles WHERE account_id = $1 ORDER BY name`
)

// CreateRole implements storage.RoleStore. The name (whatever its case), the ARN and the
// role ID are each unique; a clash with any is ErrAlreadyExists.
func (s *Store) CreateRole(ctx context.Context, r *storage.Role) error {
	if r == nil {
		return errors.New("postgres: CreateRole: nil role")
	}
	args, err := sqlrecord.RoleArgs(r)
	if err != nil {
		return fmt.Errorf("postgres: encode role %s: %w", r.Name, err)
	}
	_, err = s.exec(ctx, insertRole, args...)
	if pgCode(err) == codeUniqueViolation {
		return fmt.Errorf("postgres: role %s (%s): %w", r.Name, constraintOf(err), storage.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: insert role %s: %w", r.Name, err)
	}
	return nil
}

// GetRole implements storage.RoleStore.
func (s *Store) GetRole(ctx context.Context, accountID, name string) (*storage.Role, error) {
	if !storable(accountID, name) {
		return nil, s.missing("role " + name)
	}
	return scanRecord(s.pool.QueryRow(ctx, selectRole, accountID, name), new(sqlrecord.RoleRow), name)
}

// ListRoles implements storage.RoleStore.
func (s *Store) ListRoles(ctx context.Context, accountID string) ([]*storage.Role, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if !storable(accountID) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, listRoles, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list roles: %w", err)
	}
	defer rows.Close()
	out, err := sqlrecord.ReadAll(rows, func() sqlrecord.Row[storage.Role] { return new(sqlrecord.RoleRow) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list roles: %w", err)
	}
	return out, nil
}

// DeleteRole implements storage.RoleStore. Pools that name the role keep its ARN, as on
// AWS.
func (s *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	if !storable(accountID, name) {
		return s.missing("role " + name)
	}
	n, err := s.exec(ctx, deleteRole, accountID, name)
	if err != nil {
		return fmt.Errorf("postgres: delete role %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: role %s: %w", name, storage.ErrNotFound)
	}
	return nil
}
