package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"
)

// Concurrent merges, unlinks and logins over a small set of developer users leave every
// user linked to exactly one identity, which lists it, and no login anywhere else.
func TestConcurrentMergesAndUnlinks(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, false)
	const users = 8
	user := func(i int) string { return fmt.Sprintf("user-%d", i) }
	for i := range users {
		devToken(t, c, pool, user(i), nil, nil)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var unexpected []error
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range 25 {
				a, b := user(rng.IntN(users)), user(rng.IntN(users))
				var err error
				switch rng.IntN(3) {
				case 0:
					_, err = c.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{IdentityPoolId: &pool,
						DeveloperProviderName: aws.String(devProvider), SourceUserIdentifier: &a, DestinationUserIdentifier: &b})
				case 1:
					var look *ci.LookupDeveloperIdentityOutput
					look, err = c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: &a})
					if err == nil {
						_, err = c.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: look.IdentityId,
							DeveloperProviderName: aws.String(devProvider), DeveloperUserIdentifier: &a})
					}
				default:
					_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, Logins: map[string]string{devProvider: a}})
				}
				// Races legitimately lose: a user unlinked between lookup and unlink, or a
				// merge source unlinked meanwhile. Anything else is a bug.
				var ae smithy.APIError
				if err != nil && !(errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException") {
					mu.Lock()
					unexpected = append(unexpected, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(unexpected) > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(unexpected), unexpected[0])
	}

	// Every user seen again resolves to one identity that lists it, and each identity's
	// developer users point back at it.
	owner := map[string]string{}
	for i := range users {
		tok := devToken(t, c, pool, user(i), nil, nil)
		owner[user(i)] = aws.ToString(tok.IdentityId)
	}
	for u, id := range owner {
		look, err := c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: &id})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, other := range look.DeveloperUserIdentifierList {
			if owner[other] != id {
				t.Fatalf("identity %s lists %s, which belongs to %s", id, other, owner[other])
			}
			found = found || other == u
		}
		if !found {
			t.Fatalf("identity %s does not list its user %s", id, u)
		}
	}
	// Disabled identities carry no logins.
	for _, d := range listAll(t, c, pool, false) {
		if len(d.Logins) == 0 {
			continue
		}
		look, err := c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: d.IdentityId})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range look.DeveloperUserIdentifierList {
			if owner[u] != aws.ToString(d.IdentityId) {
				t.Fatalf("user %s linked to %s and %s", u, owner[u], aws.ToString(d.IdentityId))
			}
		}
	}
}
