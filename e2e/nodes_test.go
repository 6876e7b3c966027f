package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"

	"github.com/idpool/idpool/internal/config"
	"github.com/idpool/idpool/internal/storage"
)

// Two servers on one data directory (SQLite) or one database (PostgreSQL, under
// IDPOOL_E2E_BACKEND=postgres) are one service: what one writes the other serves at once,
// they share signing keys, and quotas and pagination hold across them.
func TestTwoNodesAreOneService(t *testing.T) {
	dir := t.TempDir()
	// Behind a load balancer every node names the one public issuer URL.
	const issuer = "http://idpool-lb.test"
	a := startServerIn(t, dir, "--max-pools-per-account", "3", "--issuer-url", issuer)
	b := startServerIn(t, dir, "--max-pools-per-account", "3", "--issuer-url", issuer, "--key-refresh-interval", "100ms")
	ca, cb := a.client(t), b.client(t)
	ctx := t.Context()

	// A pool created through one node is described and listed by the other.
	pool := createDevPool(t, ca, true)
	desc, err := cb.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &pool})
	if err != nil || aws.ToString(desc.DeveloperProviderName) != devProvider {
		t.Fatalf("node B describes A's pool: %+v %v", desc, err)
	}
	// The quota counts the pools of both nodes.
	createDevPool(t, cb, false)
	createDevPool(t, ca, false)
	_, err = cb.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("fourth"), AllowUnauthenticatedIdentities: true})
	wantAPIError(t, err, "LimitExceededException", "")

	// A page token from one node continues on the other.
	for range 5 {
		if _, err := ca.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := ca.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: &pool, MaxResults: aws.Int32(2)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	seen := len(first.Identities)
	for next := first.NextToken; next != nil; {
		page, err := cb.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: &pool, MaxResults: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatalf("next page on node B: %v", err)
		}
		seen += len(page.Identities)
		next = page.NextToken
	}
	if seen != 5 {
		t.Fatalf("pages across nodes listed %d identities, want 5", seen)
	}

	// Tokens signed by one node are accepted by the other, before and after a rotation.
	if _, err := ca.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
		Roles: map[string]string{"authenticated": roleARN("Member"), "unauthenticated": roleARN("Guest")}}); err != nil {
		t.Fatal(err)
	}
	credsOnB := func(tok *ci.GetOpenIdTokenForDeveloperIdentityOutput) {
		t.Helper()
		out, err := cb.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: tok.IdentityId,
			Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(tok.Token)}})
		if err != nil {
			t.Fatalf("node B refuses node A's token: %v", err)
		}
		arn := b.callerARN(t, out.Credentials)
		if arn == "" {
			t.Fatal("no caller")
		}
		// Nothing is stored per session: node A opens node B's session token itself.
		if onA := a.callerARN(t, out.Credentials); onA != arn {
			t.Fatalf("node A names B's credentials %q, B names them %q", onA, arn)
		}
	}
	credsOnB(devToken(t, ca, pool, "alice", nil, nil))
	jwksA, jwksB := fetchBody(t, a.URL+"/.well-known/jwks_uri"), fetchBody(t, b.URL+"/.well-known/jwks_uri")
	if !bytes.Equal(jwksA, jwksB) {
		t.Fatalf("the nodes publish different key sets:\n%s\n%s", jwksA, jwksB)
	}
	if err := a.Server.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	rotated := fetchBody(t, a.URL+"/.well-known/jwks_uri")
	if bytes.Equal(rotated, jwksA) {
		t.Fatal("the rotation did not change node A's key set")
	}
	credsOnB(devToken(t, ca, pool, "alice", nil, nil))
	// A seals credentials with its new session key at once; B, which has not reloaded the
	// keys yet, knows that key as the pre-published next one.
	alice := devToken(t, ca, pool, "alice", nil, nil)
	fromA, err := ca.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(alice.Token)}})
	if err != nil {
		t.Fatal(err)
	}
	if arn := b.callerARN(t, fromA.Credentials); arn == "" {
		t.Fatal("node B does not name node A's fresh credentials")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Equal(fetchBody(t, b.URL+"/.well-known/jwks_uri"), rotated) {
		if time.Now().After(deadline) {
			t.Fatal("node B still publishes the old key set 10 s after the rotation")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// B now signs with the new key, and A accepts what B signs.
	tok := devToken(t, cb, pool, "bob", nil, nil)
	if _, err := ca.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: tok.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(tok.Token)}}); err != nil {
		t.Fatalf("node A refuses node B's token after the rotation: %v", err)
	}
}

func fetchBody(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// Two nodes hammered at once with the same logins, merges, unlinks, tag changes, pool
// updates and deletes leave consistent data: one identity per login, no orphaned login
// or identity, no lost tag. Checked on the stored records afterwards.
func TestTwoNodesRace(t *testing.T) {
	dir := t.TempDir()
	nodes := []*testServer{startServerIn(t, dir), startServerIn(t, dir)}
	clients := []*ci.Client{nodes[0].client(t), nodes[1].client(t)}
	ctx := t.Context()
	pool := createDevPool(t, clients[0], true)
	doomed := createDevPool(t, clients[1], true)
	const users = 10
	user := func(i int) string { return fmt.Sprintf("user-%d", i) }

	// The same developer user through both nodes at once: one identity.
	ids := make([][]string, users)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			c := clients[w%2]
			for i := range users {
				out, err := c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool,
					Logins: map[string]string{devProvider: user(i)}})
				if err != nil {
					t.Errorf("login of %s: %v", user(i), err)
					return
				}
				mu.Lock()
				ids[i] = append(ids[i], aws.ToString(out.IdentityId))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, got := range ids {
		for _, id := range got {
			if id != got[0] {
				t.Fatalf("%s got identities %s and %s from concurrent logins", user(i), got[0], id)
			}
		}
	}

	// Merges, unlinks, logins, tags, updates and a pool delete, all at once on both nodes.
	var unexpected []error
	record := func(err error, allowed ...string) {
		var ae smithy.APIError
		if err == nil {
			return
		}
		if errors.As(err, &ae) {
			for _, code := range allowed {
				if ae.ErrorCode() == code {
					return
				}
			}
		}
		mu.Lock()
		unexpected = append(unexpected, err)
		mu.Unlock()
	}
	poolARN := "arn:aws:cognito-identity:" + testRegion + ":" + testAccount + ":identitypool/" + pool
	for w := range 8 {
		wg.Go(func() {
			c := clients[w%2]
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for n := range 20 {
				a, b := user(rng.IntN(users)), user(rng.IntN(users))
				switch rng.IntN(5) {
				case 0:
					_, err := c.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{IdentityPoolId: &pool,
						DeveloperProviderName: aws.String(devProvider), SourceUserIdentifier: &a, DestinationUserIdentifier: &b})
					record(err, "ResourceNotFoundException")
				case 1:
					look, err := c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: &a})
					if err == nil {
						_, err = c.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: look.IdentityId,
							DeveloperProviderName: aws.String(devProvider), DeveloperUserIdentifier: &a})
					}
					record(err, "ResourceNotFoundException")
				case 2:
					_, err := c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool,
						Logins: map[string]string{devProvider: a}})
					record(err)
				case 3:
					_, err := c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &poolARN,
						Tags: map[string]string{fmt.Sprintf("w%d-%d", w, n): "v"}})
					record(err)
				default:
					// Unauthenticated identities arriving in the pool being deleted.
					_, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &doomed})
					record(err, "ResourceNotFoundException")
				}
				if w == 0 && n == 10 {
					_, err := c.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: &doomed})
					record(err)
				}
			}
		})
	}
	wg.Wait()
	if len(unexpected) > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(unexpected), unexpected[0])
	}

	// Every tag written on either node is there.
	tags, err := clients[1].ListTagsForResource(ctx, &ci.ListTagsForResourceInput{ResourceArn: &poolARN})
	if err != nil {
		t.Fatal(err)
	}
	wantTags := 0
	for w := range 8 {
		rng := rand.New(rand.NewPCG(uint64(w), 2))
		for n := range 20 {
			rng.IntN(users)
			rng.IntN(users)
			if rng.IntN(5) == 3 {
				wantTags++
				if _, ok := tags.Tags[fmt.Sprintf("w%d-%d", w, n)]; !ok {
					t.Errorf("tag w%d-%d written concurrently is lost", w, n)
				}
			}
		}
	}
	if len(tags.Tags) != wantTags {
		t.Errorf("%d tags, want %d", len(tags.Tags), wantTags)
	}

	checkStoredConsistency(t, dir, pool, doomed)
}

// checkStoredConsistency reads every stored record of the deployment in dir and checks
// the invariants concurrent requests must not break.
func checkStoredConsistency(t *testing.T, dir, pool, deleted string) {
	t.Helper()
	store := openStore(t, dir)
	pools := map[string]bool{}
	owner := map[storage.Login]string{}
	identities := 0
	err := store.Export(t.Context(), func(r storage.Record) error {
		switch {
		case r.Pool != nil:
			pools[r.Pool.ID] = true
		case r.Identity != nil:
			id := r.Identity
			identities++
			if !pools[id.PoolID] {
				t.Errorf("identity %s belongs to pool %s, which does not exist", id.ID, id.PoolID)
			}
			if id.Disabled && len(id.Logins) > 0 {
				t.Errorf("disabled identity %s keeps logins %v", id.ID, id.Logins)
			}
			for _, l := range id.Logins {
				if other, ok := owner[l]; ok {
					t.Errorf("login %v is linked to %s and %s", l, other, id.ID)
				}
				owner[l] = id.ID
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pools[deleted] {
		t.Errorf("deleted pool %s is still stored", deleted)
	}
	if !pools[pool] || identities == 0 {
		t.Errorf("pool %s with %d identities after the run", pool, identities)
	}
}

// openStore opens the storage of the deployment in dir, as a server started there by
// startServerIn uses it.
func openStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	args := append([]string{"--data-dir", dir}, databaseArgs(t, dir)...)
	cfg, err := config.ParseServe(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	store, err := cfg.OpenStore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
