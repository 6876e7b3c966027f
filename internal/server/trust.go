package server

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/storage"
	"github.com/idpool/idpool/internal/sts"
	"github.com/idpool/idpool/internal/trust"
)

// roleTrust enforces the trust policies of roles registered through the IAM API
// (CreateRole). Roles never registered are accepted as given, so that pools can name
// roles that exist only in the system the credentials are for.
type roleTrust struct {
	roles    storage.RoleStore
	policies *policyCache
}

func newRoleTrust(roles storage.RoleStore) roleTrust {
	return roleTrust{roles: roles, policies: &policyCache{}}
}

// maxCachedPolicies bounds policyCache; when it fills up it starts over.
const maxCachedPolicies = 1024

// policyCache remembers parsed trust policies by their text. Every credentials request
// for a registered role checks its trust policy, and parsing the JSON was most of that
// check's cost. Keyed by the document itself, an updated policy is a new key: nothing to
// invalidate, whichever node changed it.
type policyCache struct {
	mu sync.RWMutex
	m  map[string]*trust.Policy
}

func (c *policyCache) parse(doc string) (*trust.Policy, error) {
	c.mu.RLock()
	p := c.m[doc]
	c.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	p, err := trust.Parse(doc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedPolicies {
		c.m = make(map[string]*trust.Policy)
	}
	c.m[doc] = p
	c.mu.Unlock()
	return p, nil
}

// allows reports whether the role's trust policy lets a Cognito web identity assume it.
func (t roleTrust) allows(ctx context.Context, roleARN string, req trust.Request) (bool, error) {
	a, err := arn.Parse(roleARN)
	if err != nil {
		return false, nil
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	role, err := t.roles.GetRole(ctx, a.AccountID, name)
	if errors.Is(err, storage.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if role.ARN != roleARN {
		return true, nil // same name under another path: not this role
	}
	policy, err := t.policies.parse(role.AssumeRolePolicyDocument)
	if err != nil {
		return false, nil
	}
	return policy.Allows(req), nil
}

// AllowWebIdentity serves STS's AssumeRoleWithWebIdentity (the classic flow): the
// account rule of the default policy, then the role's own trust policy.
func (t roleTrust) AllowWebIdentity(ctx context.Context, claims *oidc.Claims, roleARN string) (bool, error) {
	if ok, err := (sts.SameAccountTrust{}).AllowWebIdentity(ctx, claims, roleARN); !ok || err != nil {
		return ok, err
	}
	return t.allows(ctx, roleARN, trust.Request{
		Action: trust.ActionAssumeRoleWithWebIdentity, Aud: claims.Audience, Sub: claims.Subject, AMR: claims.AMR,
		Tagging: len(claims.PrincipalTags) > 0,
	})
}

// check is the same decision for GetCredentialsForIdentity, refused as AWS refuses a role
// whose trust policy does not admit the identity.
func (t roleTrust) check(ctx context.Context, roleARN, poolID, identityID string, amr []string, tagging bool) error {
	ok, err := t.allows(ctx, roleARN, trust.Request{Action: trust.ActionAssumeRoleWithWebIdentity, Aud: poolID, Sub: identityID, AMR: amr, Tagging: tagging})
	if err != nil {
		return err
	}
	if !ok {
		return awserr.New(awserr.InvalidIdentityPoolConfiguration, "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
	}
	return nil
}
