package server

import (
	"context"
	"strings"

	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/memo"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/sts"
	"github.com/idpool/idpool/internal/trust"
)

// roleTrust enforces the trust policies of roles registered through the IAM API
// (CreateRole). Roles never registered are accepted as given, so that pools can name
// roles that exist only in the system the credentials are for.
//
// Every credentials request checks its role's trust policy, so the roles are read through
// a short-lived cache (rolecache.go) and parsed policies are remembered by their text:
// reading the role and parsing its JSON were most of that check's cost.
type roleTrust struct {
	roles    *roleCache
	policies *memo.Memo[*trust.Policy]
}

func newRoleTrust(roles *roleCache) roleTrust {
	return roleTrust{roles: roles, policies: &memo.Memo[*trust.Policy]{Max: 1024}}
}

// allows reports whether the role's trust policy lets a Cognito web identity assume it.
func (t roleTrust) allows(ctx context.Context, roleARN string, req trust.Request) (bool, error) {
	a, err := arn.Parse(roleARN)
	if err != nil {
		return false, nil
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	role, err := t.roles.get(ctx, a.AccountID, name)
	if err != nil {
		return false, err
	}
	if role == nil || role.ARN != roleARN {
		return true, nil // never registered, or the same name under another path: not this role
	}
	policy, err := t.policies.Get(role.AssumeRolePolicyDocument, trust.Parse)
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
