package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// roleCache remembers GetRole's answers for the trust check of every credentials request,
// whose role read was a sixth of GetCredentialsForIdentity's CPU. IAM itself is eventually
// consistent: AWS documents that a role change may take seconds to be seen everywhere.
// Here a change made through this node's IAM API is seen at once (CreateRole and
// DeleteRole go through iamRoles, which forgets the entry), and one made through another
// node within roleCacheTTL. Roles have no update but delete and create.
type roleCache struct {
	store storage.RoleStore
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]roleEntry
	// gen counts forgets, so that a read that raced one does not store what it read.
	gen uint64
}

type roleEntry struct {
	role    *storage.Role // nil: not registered
	fetched time.Time
}

const (
	roleCacheTTL = 5 * time.Second
	// roleCacheMax bounds the map; when full, it starts over.
	roleCacheMax = 4096
)

func newRoleCache(store storage.RoleStore, now func() time.Time) *roleCache {
	return &roleCache{store: store, now: now, entries: make(map[string]roleEntry)}
}

// roleKey folds the name's case, as IAM compares role names.
func roleKey(accountID, name string) string { return accountID + "/" + strings.ToLower(name) }

// get returns the account's role of that name, nil when none is registered. The role is
// shared: callers must not modify it.
func (c *roleCache) get(ctx context.Context, accountID, name string) (*storage.Role, error) {
	key := roleKey(accountID, name)
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < roleCacheTTL {
		return e.role, nil
	}
	role, err := c.store.GetRole(ctx, accountID, name)
	if errors.Is(err, storage.ErrNotFound) {
		role, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.entries) >= roleCacheMax {
			clear(c.entries)
		}
		c.entries[key] = roleEntry{role: role, fetched: now}
	}
	c.mu.Unlock()
	return role, nil
}

func (c *roleCache) forget(accountID, name string) {
	c.mu.Lock()
	delete(c.entries, roleKey(accountID, name))
	c.gen++
	c.mu.Unlock()
}

// iamRoles is the store as the IAM API sees it: its role writes reach the cache.
type iamRoles struct {
	storage.Store
	cache *roleCache
}

func (s iamRoles) CreateRole(ctx context.Context, r *storage.Role) error {
	defer s.cache.forget(r.AccountID, r.Name)
	return s.Store.CreateRole(ctx, r)
}

func (s iamRoles) DeleteRole(ctx context.Context, accountID, name string) error {
	defer s.cache.forget(accountID, name)
	return s.Store.DeleteRole(ctx, accountID, name)
}
