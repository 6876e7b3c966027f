package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func (s *testServer) iamClient(t *testing.T) *iam.Client {
	t.Helper()
	return iam.New(iam.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		RetryMaxAttempts: 1,
	})
}

// registerOIDC registers iss through the IAM API and returns the provider's ARN and its
// Logins key (the URL without its scheme).
func registerOIDC(t *testing.T, srv *testServer, iss *testIssuer, clientIDs ...string) (string, string) {
	t.Helper()
	out, err := srv.iamClient(t).CreateOpenIDConnectProvider(t.Context(), &iam.CreateOpenIDConnectProviderInput{Url: aws.String(iss.URL), ClientIDList: clientIDs})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.OpenIDConnectProviderArn), strings.TrimPrefix(iss.URL, "http://")
}

func TestOIDCLogins(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	issA := startIssuer(t, "/realms/a")
	issB := startIssuer(t, "/realms/b")
	arnA, keyA := registerOIDC(t, srv, issA, "app")
	arnB, keyB := registerOIDC(t, srv, issB, "app")
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("oidc"), AllowUnauthenticatedIdentities: false,
		OpenIdConnectProviderARNs: []string{arnA, arnB}})
	if err != nil {
		t.Fatal(err)
	}
	pool := out.IdentityPoolId

	alice := issA.token(t, "alice", "app", time.Hour, nil)
	first, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: alice}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: issA.token(t, "alice", "app", time.Hour, nil)}})
	if err != nil || aws.ToString(again.IdentityId) != aws.ToString(first.IdentityId) {
		t.Fatalf("same login, other identity: %v %v", again, err)
	}
	d, err := c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: first.IdentityId})
	if err != nil || len(d.Logins) != 1 || d.Logins[0] != keyA {
		t.Fatalf("describe %+v %v", d, err)
	}

	// The classic flow with the login: a token naming the provider in amr.
	tok, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: first.IdentityId, Logins: map[string]string{keyA: alice}})
	if err != nil {
		t.Fatal(err)
	}
	_, claims := jwtParts(t, aws.ToString(tok.Token))
	if amr := claims["amr"].([]any); len(amr) < 2 || amr[0] != "authenticated" || amr[1] != keyA {
		t.Fatalf("amr %v", claims["amr"])
	}

	// Another provider's login given alongside links to the same identity.
	bobB := issB.token(t, "bob", "app", time.Hour, nil)
	linked, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: alice, keyB: bobB}})
	if err != nil || aws.ToString(linked.IdentityId) != aws.ToString(first.IdentityId) {
		t.Fatalf("link: %v %v", linked, err)
	}
	viaB, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyB: bobB}})
	if err != nil || aws.ToString(viaB.IdentityId) != aws.ToString(first.IdentityId) {
		t.Fatalf("via B: %v %v", viaB, err)
	}

	// Two identities merge when one request carries logins of both; the older survives.
	carol := issA.token(t, "carol", "app", time.Hour, nil)
	dave := issB.token(t, "dave", "app", time.Hour, nil)
	idCarol, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: carol}})
	if err != nil {
		t.Fatal(err)
	}
	idDave, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyB: dave}})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: carol, keyB: dave}})
	if err != nil || aws.ToString(merged.IdentityId) != aws.ToString(idCarol.IdentityId) {
		t.Fatalf("merge kept %v (carol %v, dave %v): %v", merged, aws.ToString(idCarol.IdentityId), aws.ToString(idDave.IdentityId), err)
	}
	_, err = c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: idDave.IdentityId, Logins: map[string]string{keyB: dave}})
	wantAPIError(t, err, "NotAuthorizedException", "Access to Identity '"+aws.ToString(idDave.IdentityId)+"' is forbidden.")

	// One login per provider per identity: alice's identity can't take a second A login.
	erin := issA.token(t, "erin", "app", time.Hour, nil)
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: erin, keyB: bobB}})
	wantAPIError(t, err, "ResourceConflictException", "")

	// UnlinkIdentity with a login as proof.
	if _, err := c.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{IdentityId: first.IdentityId, Logins: map[string]string{keyA: alice}, LoginsToRemove: []string{keyB}}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: first.IdentityId})
	if err != nil || len(d.Logins) != 1 {
		t.Fatalf("after unlink %+v %v", d, err)
	}

	// Refusals, each with AWS's exception.
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + strings.Split(alice, ".")[1] + "."
	cases := []struct {
		name, token, msg string
	}{
		{"expired", issA.tokenAt(t, "alice", "app", time.Now().Add(-2*time.Hour), time.Hour, nil), "Invalid login token. Token expired: "},
		{"other audience", issA.token(t, "alice", "other-app", time.Hour, nil), "Token is not from a supported provider of this identity pool."},
		{"other issuer", issB.token(t, "alice", "app", time.Hour, nil), "Invalid login token. Issuer doesn't match providerName"},
		{"alg none", none, ""},
		{"garbage", "not-a-token", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyA: tc.token}})
			wantAPIError(t, err, "NotAuthorizedException", "")
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("message %v, want %q", err, tc.msg)
			}
		})
	}
	// A provider not attached to the pool.
	issC := startIssuer(t, "/realms/c")
	_, keyC := registerOIDC(t, srv, issC, "app")
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{keyC: issC.token(t, "x", "app", time.Hour, nil)}})
	wantAPIError(t, err, "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
}
