package server

import (
	"context"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// cognitoStore is the store as the Cognito API sees it. GetPoolByID, which only GetId and
// the credentials and token requests call (GetOpenIdTokenForDeveloperIdentity among them),
// is served from a short-lived cache: the pool read was a sixth of their CPU. This node's pool writes (UpdatePool, DeletePool) forget
// the pool at once; a pool created here was never cached, as a missing pool is not
// remembered.
type cognitoStore struct {
	storage.Store
	pools *expiring[*storage.Pool]
}

const (
	poolCacheTTL = time.Second
	poolCacheMax = 4096
)

func newCognitoStore(store storage.Store, now func() time.Time) cognitoStore {
	return cognitoStore{Store: store, pools: newExpiring[*storage.Pool](poolCacheTTL, poolCacheMax, now)}
}

// GetPoolByID returns a copy: callers own what the store gives them.
func (s cognitoStore) GetPoolByID(ctx context.Context, poolID string) (*storage.Pool, error) {
	p, err := s.pools.get(poolID, func() (*storage.Pool, error) { return s.Store.GetPoolByID(ctx, poolID) })
	if err != nil {
		return nil, err
	}
	return p.Clone(), nil
}

func (s cognitoStore) UpdatePool(ctx context.Context, accountID, poolID string, fn func(*storage.Pool) error) (*storage.Pool, error) {
	defer s.pools.forget(poolID)
	return s.Store.UpdatePool(ctx, accountID, poolID, fn)
}

func (s cognitoStore) DeletePool(ctx context.Context, accountID, poolID string) error {
	defer s.pools.forget(poolID)
	return s.Store.DeletePool(ctx, accountID, poolID)
}
