package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/storage/sqlrecord"
)

const (
	selectSession = `SELECT ` + sqlrecord.SessionColumns + ` FROM sessions WHERE access_key_id = ?`
	insertSession = `INSERT INTO sessions (` + sqlrecord.SessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// deleteExpiredBatch removes at most sessionDeleteBatch expired sessions, found through
	// the sessions_expiry index.
	deleteExpiredBatch = `DELETE FROM sessions WHERE access_key_id IN (SELECT access_key_id FROM sessions WHERE expiry <= ? LIMIT ?)`
)

// sessionDeleteBatch bounds the rows one DeleteExpiredSessions transaction removes, so
// that a sweep after a long pause never holds the only writer connection for long: other
// writes queue between the batches.
const sessionDeleteBatch = 1000

// CreateSession implements storage.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *storage.Session) error {
	if sess == nil {
		return errors.New("sqlite: CreateSession: nil session")
	}
	args, err := sqlrecord.SessionArgs(sess)
	if err != nil {
		return fmt.Errorf("sqlite: encode session %s: %w", sess.AccessKeyID, err)
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.txInsertSession).ExecContext(ctx, args...)
		if isPrimaryKeyViolation(err) {
			return fmt.Errorf("sqlite: session %s: %w", sess.AccessKeyID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert session %s: %w", sess.AccessKeyID, err)
		}
		return nil
	})
}

// GetSession implements storage.SessionStore. It runs a statement prepared at Open: every
// request signed with temporary credentials looks its session up.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (*storage.Session, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read session %s: %w", accessKeyID, err)
	}
	return scanRecord(s.getSession.QueryRowContext(ctx, accessKeyID), new(sqlrecord.SessionRow), accessKeyID)
}

// DeleteExpiredSessions implements storage.SessionStore. It deletes in batches of
// sessionDeleteBatch, each its own transaction; when ctx ends between batches, the count
// so far is returned with the context's error.
func (s *Store) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	cutoff := sqlrecord.ToMillis(before)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("sqlite: delete expired sessions: %w", err)
		}
		var n int64
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, deleteExpiredBatch, cutoff, sessionDeleteBatch)
			if err != nil {
				return fmt.Errorf("sqlite: delete expired sessions: %w", err)
			}
			n, err = res.RowsAffected()
			if err != nil {
				return fmt.Errorf("sqlite: delete expired sessions: %w", err)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < sessionDeleteBatch {
			return total, nil
		}
	}
}
