package sqlrecord

import "github.com/idpool/idpool/internal/storage"

// IdentityRow holds columns of one row of the query through which both backends read
// identities: identities LEFT JOINed with their logins, a row per login, or one row
// without a login for an identity that has none. It holds the identity's columns but its
// ID; the backends scan the ID, when the query yields it, and the NULLable login columns
// into their own drivers' types. A backend allocates one per query, so it is kept small.
type IdentityRow struct {
	PoolID    string
	Disabled  bool
	LoginsNil bool  // identities.logins_nil: Logins is nil, not empty
	Created   int64 // unix milliseconds
	Updated   int64
}

// IdentityAssembler builds identities from the rows of that query, which come ordered by
// identity and, within one identity, by login position. The zero value is ready to use.
type IdentityAssembler struct {
	cur *storage.Identity
}

// Add adds one row: the columns r of identity id and, when hasLogin, one of its logins
// (on the row of an identity without logins the join leaves them NULL). When the row is
// the first of another identity than the rows before, Add returns the identity those rows
// made, now complete; otherwise it returns nil.
func (a *IdentityAssembler) Add(id string, r *IdentityRow, login storage.Login, hasLogin bool) (done *storage.Identity) {
	if a.cur != nil && a.cur.ID != id {
		done, a.cur = a.cur, nil
	}
	if a.cur == nil {
		a.cur = &storage.Identity{
			PoolID:    r.PoolID,
			ID:        id,
			Disabled:  r.Disabled,
			CreatedAt: FromMillis(r.Created),
			UpdatedAt: FromMillis(r.Updated),
		}
		if !r.LoginsNil {
			a.cur.Logins = []storage.Login{} // empty, not nil: no allocation
		}
	}
	if hasLogin {
		if cap(a.cur.Logins) == 0 {
			// Most identities have one or two logins: one allocation instead of two.
			a.cur.Logins = make([]storage.Login, 0, 2)
		}
		a.cur.Logins = append(a.cur.Logins, login)
	}
	return done
}

// Flush returns the identity the last rows made, complete once its last row has been
// added, or nil when no row has been added since the last Flush.
func (a *IdentityAssembler) Flush() *storage.Identity {
	cur := a.cur
	a.cur = nil
	return cur
}

// RepeatedLogin returns a login ident lists more than once, and whether there is one:
// Put refuses such an identity before writing, since a login belongs to one identity
// once (the logins table's key would refuse the second copy midway).
func RepeatedLogin(ident *storage.Identity) (storage.Login, bool) {
	for i, l := range ident.Logins {
		for _, m := range ident.Logins[:i] {
			if l == m {
				return l, true
			}
		}
	}
	return storage.Login{}, false
}
