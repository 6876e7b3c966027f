package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// A user pool stands in locally (--user-pool-issuer-base): its ID tokens log in, its
// access tokens and other clients' tokens do not.
func TestUserPoolLogins(t *testing.T) {
	const userPool = "us-east-1_TestPool1"
	up := startIssuer(t, "/"+userPool)
	base := strings.TrimSuffix(up.URL, "/"+userPool)
	srv := startServer(t, "--user-pool-issuer-base", base)
	c := srv.client(t)
	ctx := t.Context()
	provider := "cognito-idp.us-east-1.amazonaws.com/" + userPool
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("up"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []types.CognitoIdentityProvider{{ProviderName: aws.String(provider), ClientId: aws.String("client1")}}})
	if err != nil {
		t.Fatal(err)
	}
	pool := out.IdentityPoolId

	idToken := up.token(t, "sub-1", "client1", time.Hour, map[string]any{"token_use": "id", "cognito:username": "alice"})
	got, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{provider: idToken}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: got.IdentityId, Logins: map[string]string{provider: idToken}})
	if err != nil {
		t.Fatal(err)
	}
	_, claims := jwtParts(t, aws.ToString(tok.Token))
	if fmt.Sprint(claims["amr"]) != fmt.Sprint([]string{"authenticated", provider, provider + ":CognitoSignIn:sub-1"}) {
		t.Fatalf("amr %v", claims["amr"])
	}

	access := up.token(t, "sub-1", "", time.Hour, map[string]any{"token_use": "access", "client_id": "client1"})
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{provider: access}})
	wantAPIError(t, err, "NotAuthorizedException", "")
	other := up.token(t, "sub-1", "client2", time.Hour, map[string]any{"token_use": "id"})
	_, err = c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: map[string]string{provider: other}})
	wantAPIError(t, err, "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
}

// Providers declared in --providers-file exist at startup and accept logins.
func TestProvidersFile(t *testing.T) {
	iss := startIssuer(t, "/realms/declared")
	dir := t.TempDir()
	writeFile(t, dir+"/providers.json", `{"providers":[{"url":"`+iss.URL+`","client_ids":["app"]}]}`)
	srv := startServerIn(t, dir+"/data", "--providers-file", dir+"/providers.json")
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/" + strings.TrimPrefix(iss.URL, "http://")
	got, err := srv.iamClient(t).GetOpenIDConnectProvider(t.Context(), &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	if err != nil || len(got.ClientIDList) != 1 || got.ClientIDList[0] != "app" {
		t.Fatalf("declared provider: %+v %v", got, err)
	}
	c := srv.client(t)
	out, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: false, OpenIdConnectProviderARNs: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimPrefix(iss.URL, "http://")
	if _, err := c.GetId(t.Context(), &ci.GetIdInput{IdentityPoolId: out.IdentityPoolId, Logins: map[string]string{key: iss.token(t, "u", "app", time.Hour, nil)}}); err != nil {
		t.Fatal(err)
	}
}
