package sqlrecord

import "github.com/idpool/idpool/internal/storage"

// RoleColumns are the columns of iam_roles, in the order of RoleArgs and RoleRow. tags is
// the JSON of EncodeTags, policy the trust policy document as given.
const RoleColumns = `account_id, name, path, arn, role_id, policy, description, max_session_duration, tags, created_at`

// RoleArgs returns the values of r's RoleColumns in order: the arguments of an INSERT of
// r. Its error is EncodeTags'.
func RoleArgs(r *storage.Role) ([]any, error) {
	tags, err := EncodeTags(r.Tags)
	if err != nil {
		return nil, err
	}
	return []any{r.AccountID, r.Name, r.Path, r.ARN, r.RoleID, r.AssumeRolePolicyDocument, r.Description,
		r.MaxSessionDuration, string(tags), ToMillis(r.CreatedAt)}, nil
}

// RoleRow is the Row of IAM roles.
type RoleRow struct {
	role    storage.Role
	tags    []byte
	created int64
}

func (r *RoleRow) scan(row RowScanner) error {
	o := &r.role
	return row.Scan(&o.AccountID, &o.Name, &o.Path, &o.ARN, &o.RoleID, &o.AssumeRolePolicyDocument,
		&o.Description, &o.MaxSessionDuration, &r.tags, &r.created)
}

func (r *RoleRow) record() (*storage.Role, error) {
	tags, err := DecodeTags(r.tags)
	if err != nil {
		return nil, err
	}
	r.role.Tags, r.tags = tags, nil // the caller holds the role, and through it r: not the JSON too
	r.role.CreatedAt = FromMillis(r.created)
	return &r.role, nil
}

func (*RoleRow) kind() string  { return "role" }
func (r *RoleRow) key() string { return r.role.Name }
