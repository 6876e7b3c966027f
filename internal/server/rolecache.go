package server

import (
	"context"
	"errors"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// roleCache serves the trust check of every credentials request, whose role read was a
// sixth of GetCredentialsForIdentity's CPU. CreateRole and DeleteRole through this node's
// IAM API go through iamRoles, which forgets the entry (roles have no other update).
type roleCache struct {
	store   storage.RoleStore
	entries *expiring[*storage.Role] // nil role: not registered
}

const (
	roleCacheTTL = 5 * time.Second
	roleCacheMax = 4096
)

func newRoleCache(store storage.RoleStore, now func() time.Time) *roleCache {
	return &roleCache{store: store, entries: newExpiring[*storage.Role](roleCacheTTL, roleCacheMax, now)}
}

// roleKey folds the name's case as the stores compare role names: ASCII letters only.
// strings.ToLower would fold more (the Kelvin sign K to k), so that a request for a
// name no store holds could cache "not registered" under a real role's key and skip its
// trust policy.
func roleKey(accountID, name string) string {
	b := make([]byte, 0, len(accountID)+1+len(name))
	b = append(append(b, accountID...), '/')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// get returns the account's role of that name, nil when none is registered. The role is
// shared: callers must not modify it.
func (c *roleCache) get(ctx context.Context, accountID, name string) (*storage.Role, error) {
	return c.entries.get(roleKey(accountID, name), func() (*storage.Role, error) {
		role, err := c.store.GetRole(ctx, accountID, name)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		return role, err
	})
}

// iamRoles is the store as the IAM API sees it: its role writes reach the cache.
type iamRoles struct {
	storage.Store
	cache *roleCache
}

func (s iamRoles) CreateRole(ctx context.Context, r *storage.Role) error {
	defer s.cache.entries.forget(roleKey(r.AccountID, r.Name))
	return s.Store.CreateRole(ctx, r)
}

func (s iamRoles) DeleteRole(ctx context.Context, accountID, name string) error {
	defer s.cache.entries.forget(roleKey(accountID, name))
	return s.Store.DeleteRole(ctx, accountID, name)
}
