package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	sessionColumns = `access_key_id, secret_access_key, session_token, account_id, role_arn, session_name, identity_id, pool_id, tags, created_at, expiry`
	selectSession  = `SELECT ` + sessionColumns + ` FROM sessions WHERE access_key_id = $1`
	insertSession  = `INSERT INTO sessions (` + sessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	// deleteExpiredBatch removes at most $2 expired sessions, found through the
	// sessions_expiry index.
	deleteExpiredBatch = `DELETE FROM sessions WHERE access_key_id IN (SELECT access_key_id FROM sessions WHERE expiry <= $1 LIMIT $2)`
)

// sessionDeleteBatch bounds the rows one DeleteExpiredSessions statement removes, so that
// a sweep after a long pause is a series of short transactions rather than one that holds
// its locks and its WAL for long.
const sessionDeleteBatch = 5000

// scanSession reads one row of sessionColumns. A missing row is storage.ErrNotFound.
func scanSession(row pgx.Row, accessKeyID string) (*storage.Session, error) {
	var (
		sess            storage.Session
		tags            []byte
		created, expiry int64
	)
	err := row.Scan(&sess.AccessKeyID, &sess.SecretAccessKey, &sess.SessionToken, &sess.AccountID,
		&sess.RoleARN, &sess.SessionName, &sess.IdentityID, &sess.PoolID, &tags, &created, &expiry)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: session %s: %w", accessKeyID, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read session %s: %w", accessKeyID, err)
	}
	if sess.Tags, err = sqlrecord.DecodeTags(tags); err != nil {
		return nil, fmt.Errorf("postgres: decode session %s: %w", sess.AccessKeyID, err)
	}
	sess.CreatedAt, sess.Expiry = sqlrecord.FromMillis(created), sqlrecord.FromMillis(expiry)
	return &sess, nil
}

// sessionArgs are the insertSession parameters of sess.
func sessionArgs(sess *storage.Session) ([]any, error) {
	tags, err := sqlrecord.EncodeTags(sess.Tags)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode session %s: %w", sess.AccessKeyID, err)
	}
	return []any{sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken, sess.AccountID, sess.RoleARN,
		sess.SessionName, sess.IdentityID, sess.PoolID, string(tags),
		sqlrecord.ToMillis(sess.CreatedAt), sqlrecord.ToMillis(sess.Expiry)}, nil
}

// CreateSession implements storage.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *storage.Session) error {
	if sess == nil {
		return errors.New("postgres: CreateSession: nil session")
	}
	args, err := sessionArgs(sess)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, insertSession, args...)
	if pgCode(err) == codeUniqueViolation {
		return fmt.Errorf("postgres: session %s: %w", sess.AccessKeyID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: insert session %s: %w", sess.AccessKeyID, err)
	}
	return nil
}

// GetSession implements storage.SessionStore.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (*storage.Session, error) {
	if !storable(accessKeyID) {
		return nil, s.missing("session " + accessKeyID)
	}
	return scanSession(s.pool.QueryRow(ctx, selectSession, accessKeyID), accessKeyID)
}

// DeleteExpiredSessions implements storage.SessionStore. It deletes in batches of
// sessionDeleteBatch, each its own transaction; when ctx ends between batches, the count
// so far is returned with the context's error.
func (s *Store) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	cutoff := sqlrecord.ToMillis(before)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("postgres: delete expired sessions: %w", err)
		}
		n, err := s.exec(ctx, deleteExpiredBatch, cutoff, sessionDeleteBatch)
		if err != nil {
			return total, fmt.Errorf("postgres: delete expired sessions: %w", err)
		}
		total += int(n)
		if n < sessionDeleteBatch {
			return total, nil
		}
	}
}
