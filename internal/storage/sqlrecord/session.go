package sqlrecord

import "github.com/idpool/idpool/internal/storage"

// SessionColumns are the columns of sessions, in the order of SessionArgs and SessionRow.
// tags is the JSON of EncodeTags.
const SessionColumns = `access_key_id, secret_access_key, session_token, account_id, role_arn, session_name, identity_id, pool_id, tags, created_at, expiry`

// SessionArgs returns the values of s's SessionColumns in order: the arguments of an
// INSERT of s, or a row of a COPY. Its error is EncodeTags'.
func SessionArgs(s *storage.Session) ([]any, error) {
	tags, err := EncodeTags(s.Tags)
	if err != nil {
		return nil, err
	}
	return []any{s.AccessKeyID, s.SecretAccessKey, s.SessionToken, s.AccountID, s.RoleARN,
		s.SessionName, s.IdentityID, s.PoolID, string(tags), ToMillis(s.CreatedAt), ToMillis(s.Expiry)}, nil
}

// SessionRow is the Row of sessions.
type SessionRow struct {
	session         storage.Session
	tags            []byte
	created, expiry int64
}

func (r *SessionRow) scan(row RowScanner) error {
	s := &r.session
	return row.Scan(&s.AccessKeyID, &s.SecretAccessKey, &s.SessionToken, &s.AccountID,
		&s.RoleARN, &s.SessionName, &s.IdentityID, &s.PoolID, &r.tags, &r.created, &r.expiry)
}

func (r *SessionRow) record() (*storage.Session, error) {
	tags, err := DecodeTags(r.tags)
	if err != nil {
		return nil, err
	}
	r.session.Tags, r.tags = tags, nil // the caller holds the session, and through it r: not the JSON too
	r.session.CreatedAt, r.session.Expiry = FromMillis(r.created), FromMillis(r.expiry)
	return &r.session, nil
}

func (*SessionRow) kind() string  { return "session" }
func (r *SessionRow) key() string { return r.session.AccessKeyID }
