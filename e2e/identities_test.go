package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
)

const devProvider = "login.idpool.test"

func createDevPool(t *testing.T, c *ci.Client, allowUnauth bool) string {
	t.Helper()
	out, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("dev"),
		AllowUnauthenticatedIdentities: allowUnauth,
		DeveloperProviderName:          aws.String(devProvider),
		SupportedLoginProviders:        map[string]string{"accounts.google.com": "app.apps.googleusercontent.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.IdentityPoolId)
}

// jwtParts decodes a compact JWS's header and claims without verifying it.
func jwtParts(t *testing.T, token string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", token)
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1])
}

func devToken(t *testing.T, c *ci.Client, pool, user string, identityID *string, extra map[string]string) *ci.GetOpenIdTokenForDeveloperIdentityOutput {
	t.Helper()
	logins := map[string]string{devProvider: user}
	for k, v := range extra {
		logins[k] = v
	}
	out, err := c.GetOpenIdTokenForDeveloperIdentity(t.Context(), &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: &pool, IdentityId: identityID, Logins: logins,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnauthenticatedIdentities(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)

	a, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, AccountId: aws.String(testAccount)})
	if err != nil {
		t.Fatal(err)
	}
	if !poolIDPattern.MatchString(aws.ToString(a.IdentityId)) || aws.ToString(a.IdentityId) == aws.ToString(b.IdentityId) {
		t.Fatalf("identities %v %v", aws.ToString(a.IdentityId), aws.ToString(b.IdentityId))
	}
	d, err := c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: a.IdentityId})
	if err != nil || aws.ToString(d.IdentityId) != aws.ToString(a.IdentityId) || len(d.Logins) != 0 || d.CreationDate == nil || d.LastModifiedDate == nil {
		t.Fatalf("describe %+v %v", d, err)
	}
	if time.Since(*d.CreationDate) > time.Minute {
		t.Fatalf("creation date %v", d.CreationDate)
	}

	// The classic flow gives an unauthenticated 10-minute token.
	tok, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: a.IdentityId})
	if err != nil {
		t.Fatal(err)
	}
	hdr, claims := jwtParts(t, aws.ToString(tok.Token))
	if hdr["alg"] != "RS512" || hdr["typ"] != "JWS" || hdr["kid"] == "" {
		t.Fatalf("header %v", hdr)
	}
	if claims["sub"] != aws.ToString(a.IdentityId) || claims["aud"] != pool || claims["iss"] != srv.URL ||
		fmt.Sprint(claims["amr"]) != "[unauthenticated]" || claims["exp"].(float64)-claims["iat"].(float64) != 600 ||
		claims["https://cognito-identity.amazonaws.com/identity-pool-arn"] != poolARN(pool) {
		t.Fatalf("claims %v", claims)
	}

	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, AccountId: aws.String("999999999999")})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+pool+"' not found.")
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(tok.Token)}})
	wantAPIError(t, err, "NotAuthorizedException", "Invalid login token. Can't pass in a Cognito token.")
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{"graph.facebook.com": "token"}})
	wantAPIError(t, err, "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
	_, err = c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")

	// A pool that stops allowing unauthenticated access refuses new and existing ones.
	if _, err := c.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: &pool, IdentityPoolName: aws.String("dev"),
		AllowUnauthenticatedIdentities: false, DeveloperProviderName: aws.String(devProvider), AllowClassicFlow: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: a.IdentityId})
	wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
}

func TestClassicFlowDisabled(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	out, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.GetId(t.Context(), &ci.GetIdInput{IdentityPoolId: out.IdentityPoolId})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetOpenIdToken(t.Context(), &ci.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	wantAPIError(t, err, "InvalidParameterException", "Basic (classic) flow is not enabled, please use enhanced flow.")
}

func TestDeveloperIdentities(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)

	alice := devToken(t, c, pool, "alice", nil, nil)
	again := devToken(t, c, pool, "alice", nil, nil)
	if aws.ToString(alice.IdentityId) != aws.ToString(again.IdentityId) {
		t.Fatal("the same developer user got two identities")
	}
	_, claims := jwtParts(t, aws.ToString(alice.Token))
	wantAMR := fmt.Sprint([]string{"authenticated", devProvider, devProvider + ":" + pool + ":alice"})
	if fmt.Sprint(claims["amr"]) != wantAMR || claims["exp"].(float64)-claims["iat"].(float64) != 900 {
		t.Fatalf("claims %v", claims)
	}

	// TokenDuration and principal tags.
	tagged, err := c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: &pool, Logins: map[string]string{devProvider: "alice"}, TokenDuration: aws.Int64(3600),
		PrincipalTags: map[string]string{"tenant": "acme"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, claims = jwtParts(t, aws.ToString(tagged.Token))
	if claims["exp"].(float64)-claims["iat"].(float64) != 3600 ||
		fmt.Sprint(claims["https://aws.amazon.com/tags"]) != "map[principal_tags:map[tenant:[acme]]]" {
		t.Fatalf("claims %v", claims)
	}

	// The token comes back as a login for the classic flow.
	tok, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: alice.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(alice.Token)}})
	if err != nil {
		t.Fatal(err)
	}
	_, claims = jwtParts(t, aws.ToString(tok.Token))
	if fmt.Sprint(claims["amr"]) != wantAMR {
		t.Fatalf("classic token amr %v", claims["amr"])
	}
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: alice.IdentityId})
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
	bob := devToken(t, c, pool, "bob", nil, nil)
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: alice.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(bob.Token)}})
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: alice.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": "not.a.token"}})
	wantAPIError(t, err, "NotAuthorizedException", "")

	// A developer user of another identity can't be linked to this one.
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: alice.IdentityId, Logins: map[string]string{devProvider: "bob"}})
	wantAPIError(t, err, "DeveloperUserAlreadyRegisteredException", "")
	// Linking a new user to an authenticated identity needs proof of that identity.
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: alice.IdentityId, Logins: map[string]string{devProvider: "carol"}})
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
	linked := devToken(t, c, pool, "carol", alice.IdentityId, map[string]string{"cognito-identity.amazonaws.com": aws.ToString(alice.Token)})
	if aws.ToString(linked.IdentityId) != aws.ToString(alice.IdentityId) {
		t.Fatal("carol not linked to alice's identity")
	}
	// An unauthenticated identity becomes the developer user's.
	unauth, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	dave := devToken(t, c, pool, "dave", unauth.IdentityId, nil)
	if aws.ToString(dave.IdentityId) != aws.ToString(unauth.IdentityId) {
		t.Fatal("dave not linked to the unauthenticated identity")
	}
	d, err := c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: unauth.IdentityId})
	if err != nil || fmt.Sprint(d.Logins) != "["+devProvider+"]" {
		t.Fatalf("describe %v %v", d, err)
	}

	// Refusals.
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, Logins: map[string]string{"other.provider": "x"}})
	wantAPIError(t, err, "InvalidParameterException", "This identity pool does not support the specified developer provider.")
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, Logins: map[string]string{devProvider: "x"}, TokenDuration: aws.Int64(86401)})
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '86401' at 'tokenDuration' failed to satisfy constraint: Member must have value less than or equal to 86400")
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000"), Logins: map[string]string{devProvider: "eve"}})
	wantAPIError(t, err, "ResourceNotFoundException", "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{devProvider: "alice"}})
	wantAPIError(t, err, "NotAuthorizedException", "")

	// Lookup.
	look, err := c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("alice"), MaxResults: aws.Int32(1)})
	if err != nil || aws.ToString(look.IdentityId) != aws.ToString(alice.IdentityId) || fmt.Sprint(look.DeveloperUserIdentifierList) != "[alice]" || look.NextToken == nil {
		t.Fatalf("lookup %+v %v", look, err)
	}
	look, err = c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: alice.IdentityId, MaxResults: aws.Int32(1), NextToken: look.NextToken})
	if err != nil || fmt.Sprint(look.DeveloperUserIdentifierList) != "[carol]" || look.NextToken != nil {
		t.Fatalf("lookup page 2 %+v %v", look, err)
	}
	_, err = c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: alice.IdentityId, DeveloperUserIdentifier: aws.String("bob")})
	wantAPIError(t, err, "ResourceConflictException", "")
	_, err = c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool})
	wantAPIError(t, err, "InvalidParameterException", "")
	_, err = c.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("nobody")})
	wantAPIError(t, err, "ResourceNotFoundException", "")

	// Merge bob into alice: bob's identity is disabled, alice's carries both.
	merged, err := c.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{IdentityPoolId: &pool, DeveloperProviderName: aws.String(devProvider),
		SourceUserIdentifier: aws.String("bob"), DestinationUserIdentifier: aws.String("alice")})
	if err != nil || aws.ToString(merged.IdentityId) != aws.ToString(alice.IdentityId) {
		t.Fatalf("merge %v %v", merged, err)
	}
	again = devToken(t, c, pool, "bob", nil, nil)
	if aws.ToString(again.IdentityId) != aws.ToString(alice.IdentityId) {
		t.Fatal("bob does not resolve to the merged identity")
	}
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: bob.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(bob.Token)}})
	wantAPIError(t, err, "NotAuthorizedException", "Access to Identity '"+aws.ToString(bob.IdentityId)+"' is forbidden.")
	_, err = c.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{IdentityPoolId: &pool, DeveloperProviderName: aws.String("other"),
		SourceUserIdentifier: aws.String("bob"), DestinationUserIdentifier: aws.String("alice")})
	wantAPIError(t, err, "InvalidParameterException", "This identity pool does not support the specified developer provider.")

	// Listing, with and without disabled identities.
	all := listAll(t, c, pool, false)
	visible := listAll(t, c, pool, true)
	if len(all) != 3 || len(visible) != 2 { // alice, bob (disabled), the unauthenticated identity dave took
		t.Fatalf("all %d visible %d", len(all), len(visible))
	}

	// Unlink the developer user of dave's identity: it is disabled, dave starts afresh.
	if _, err := c.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: dave.IdentityId,
		DeveloperProviderName: aws.String(devProvider), DeveloperUserIdentifier: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	fresh := devToken(t, c, pool, "dave", nil, nil)
	if aws.ToString(fresh.IdentityId) == aws.ToString(dave.IdentityId) {
		t.Fatal("unlinked user kept its identity")
	}
	_, err = c.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: dave.IdentityId,
		DeveloperProviderName: aws.String(devProvider), DeveloperUserIdentifier: aws.String("dave")})
	wantAPIError(t, err, "ResourceNotFoundException", "")

	// Delete identities; unknown ones are ignored.
	del, err := c.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{aws.ToString(fresh.IdentityId), "us-east-1:00000000-0000-4000-8000-000000000000"}})
	if err != nil || len(del.UnprocessedIdentityIds) != 0 {
		t.Fatalf("delete %+v %v", del, err)
	}
	_, err = c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: fresh.IdentityId})
	wantAPIError(t, err, "ResourceNotFoundException", "")

	// Deleting the pool removes its identities.
	if _, err := c.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: &pool}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: alice.IdentityId})
	wantAPIError(t, err, "ResourceNotFoundException", "")
}

func listAll(t *testing.T, c *ci.Client, pool string, hide bool) []types.IdentityDescription {
	t.Helper()
	var out []types.IdentityDescription
	var next *string
	for {
		page, err := c.ListIdentities(t.Context(), &ci.ListIdentitiesInput{IdentityPoolId: &pool, MaxResults: aws.Int32(2), NextToken: next, HideDisabled: hide})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(page.IdentityPoolId) != pool {
			t.Fatalf("pool %v", page.IdentityPoolId)
		}
		out = append(out, page.Identities...)
		if page.NextToken == nil {
			return out
		}
		next = page.NextToken
	}
}

func TestDeleteIdentitiesOfAnotherAccount(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/creds.json", `{"credentials":[{"access_key_id":"AKIAOTHERACCOUNT0001","secret_access_key":"other-secret-other-secret","account_id":"210987654321"}]}`)
	srv := startServerIn(t, dir+"/data", "--credentials-file", dir+"/creds.json")
	admin := srv.client(t)
	pool := createDevPool(t, admin, true)
	id, err := admin.GetId(t.Context(), &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	other := srv.client(t, staticCreds("AKIAOTHERACCOUNT0001", "other-secret-other-secret"))
	out, err := other.DeleteIdentities(t.Context(), &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{aws.ToString(id.IdentityId)}})
	if err != nil || len(out.UnprocessedIdentityIds) != 1 || out.UnprocessedIdentityIds[0].ErrorCode != types.ErrorCodeAccessDenied {
		t.Fatalf("%+v %v", out, err)
	}
	_, err = other.DescribeIdentity(t.Context(), &ci.DescribeIdentityInput{IdentityId: id.IdentityId})
	wantAPIError(t, err, "ResourceNotFoundException", "")
	// Nor issue its developer tokens: that operation reads the pool through the server's
	// pool cache, keyed by ID alone, after the owner's own requests have filled it.
	for _, c := range []*ci.Client{admin, other} {
		_, err = c.GetOpenIdTokenForDeveloperIdentity(t.Context(), &ci.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: &pool, Logins: map[string]string{devProvider: "user-1"}})
		if c == admin && err != nil {
			t.Fatal(err)
		}
	}
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+pool+"' not found.")
}

func TestPrincipalTagAttributeMap(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	up := "cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []types.CognitoIdentityProvider{{ProviderName: aws.String(up), ClientId: aws.String("client1")}}})
	if err != nil {
		t.Fatal(err)
	}
	pool := out.IdentityPoolId
	got, err := c.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: pool, IdentityProviderName: aws.String(up)})
	if err != nil || aws.ToBool(got.UseDefaults) || len(got.PrincipalTags) != 0 {
		t.Fatalf("default map %+v %v", got, err)
	}
	set, err := c.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{IdentityPoolId: pool, IdentityProviderName: aws.String(up),
		UseDefaults: aws.Bool(false), PrincipalTags: map[string]string{"tenant": "custom:tenant", "dept": "custom:dept"}})
	if err != nil || set.PrincipalTags["tenant"] != "custom:tenant" {
		t.Fatalf("set %+v %v", set, err)
	}
	got, err = c.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: pool, IdentityProviderName: aws.String(up)})
	if err != nil || len(got.PrincipalTags) != 2 || got.PrincipalTags["dept"] != "custom:dept" {
		t.Fatalf("get %+v %v", got, err)
	}
	_, err = c.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{IdentityPoolId: pool, IdentityProviderName: aws.String("accounts.google.com"), UseDefaults: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterException", "")
	_, err = c.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000"), IdentityProviderName: aws.String(up)})
	wantAPIError(t, err, "ResourceNotFoundException", "")
}

// Fifty concurrent first calls for one developer user yield exactly one identity.
func TestConcurrentDeveloperLogins(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	pool := createDevPool(t, c, false)
	var wg sync.WaitGroup
	ids := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Go(func() {
			out, err := c.GetOpenIdTokenForDeveloperIdentity(t.Context(), &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, Logins: map[string]string{devProvider: "same-user"}})
			errs[i] = err
			if err == nil {
				ids[i] = aws.ToString(out.IdentityId)
			}
		})
	}
	wg.Wait()
	for i := range 50 {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("call %d: %q %v (first %q)", i, ids[i], errs[i], ids[0])
		}
	}
	if all := listAll(t, c, pool, false); len(all) != 1 {
		t.Fatalf("%d identities", len(all))
	}
}

// A developer user identifier with a NUL character is refused alike on every backend
// (PostgreSQL text cannot hold one), never a 500.
func TestDeveloperIdentifierWithNUL(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	pool := createDevPool(t, c, false)
	_, err := c.GetOpenIdTokenForDeveloperIdentity(t.Context(), &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool,
		Logins: map[string]string{devProvider: "user\x00name"}})
	wantAPIError(t, err, "InvalidParameterException", "The developer user identifier contains a NUL character.")
}
