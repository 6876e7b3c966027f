package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

// With --sts-endpoint, credentials come from a real STS through AssumeRoleWithWebIdentity
// with the token idpool issued. The STS here is another idpool's, which trusts the
// tokens as a real STS trusts an OIDC provider registered with it: both servers share
// one key store (one data directory) and one issuer URL.
func TestExternalSTS(t *testing.T) {
	dir := t.TempDir()
	upstream := startServerIn(t, dir)
	srv := startServerIn(t, dir, "--sts-endpoint", upstream.URL, "--issuer-url", upstream.URL)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
		Roles: map[string]string{"unauthenticated": roleARN("Guest"), "authenticated": roleARN("Member")}}); err != nil {
		t.Fatal(err)
	}
	dev := devToken(t, c, pool, "alice", nil, nil)
	got, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: dev.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(dev.Token)}})
	if err != nil {
		t.Fatal(err)
	}
	if a := upstream.callerARN(t, got.Credentials); !strings.HasSuffix(a, ":assumed-role/Member/CognitoIdentityCredentials") {
		t.Fatalf("caller %s", a)
	}

	// An STS that cannot be reached: ExternalServiceException.
	down := startServer(t, "--sts-endpoint", "http://127.0.0.1:1")
	dc := down.client(t)
	pool2 := createDevPool(t, dc, true)
	if _, err := dc.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool2, Roles: map[string]string{"unauthenticated": roleARN("Guest")}}); err != nil {
		t.Fatal(err)
	}
	id, err := dc.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dc.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	wantAPIError(t, err, "ExternalServiceException", "")
}
