package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	selectSession = `SELECT ` + sqlrecord.SessionColumns + ` FROM sessions WHERE access_key_id = $1`
	insertSession = `INSERT INTO sessions (` + sqlrecord.SessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	// deleteExpiredBatch removes at most $2 expired sessions, found through the
	// sessions_expiry index.
	deleteExpiredBatch = `DELETE FROM sessions WHERE access_key_id IN (SELECT access_key_id FROM sessions WHERE expiry <= $1 LIMIT $2)`
)

// sessionDeleteBatch bounds the rows one DeleteExpiredSessions statement removes, so that
// a sweep after a long pause is a series of short transactions rather than one that holds
// its locks and its WAL for long.
const sessionDeleteBatch = 5000

// CreateSession implements storage.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *storage.Session) error {
	if sess == nil {
		return errors.New("postgres: CreateSession: nil session")
	}
	args, err := sqlrecord.SessionArgs(sess)
	if err != nil {
		return fmt.Errorf("postgres: encode session %s: %w", sess.AccessKeyID, err)
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
	return scanRecord(s.pool.QueryRow(ctx, selectSession, accessKeyID), new(sqlrecord.SessionRow), accessKeyID)
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
