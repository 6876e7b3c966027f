package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// A user pool login through a Token mapping: cognito:preferred_role, CustomRoleArn among
// cognito:roles, and Deny for an ambiguous token.
func TestUserPoolTokenMapping(t *testing.T) {
	const userPool = "us-east-1_TokenMap1"
	up := startIssuer(t, "/"+userPool)
	srv := startServer(t, "--user-pool-issuer-base", strings.TrimSuffix(up.URL, "/"+userPool))
	c := srv.client(t)
	ctx := t.Context()
	provider := "cognito-idp.us-east-1.amazonaws.com/" + userPool
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("tokens"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []types.CognitoIdentityProvider{{ProviderName: aws.String(provider), ClientId: aws.String("client1")}}})
	if err != nil {
		t.Fatal(err)
	}
	pool := out.IdentityPoolId
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: pool,
		Roles:        map[string]string{"authenticated": roleARN("Member")},
		RoleMappings: map[string]types.RoleMapping{provider + ":client1": {Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny}},
	}); err != nil {
		t.Fatal(err)
	}
	login := func(sub string, claims map[string]any) map[string]string {
		claims["token_use"] = "id"
		return map[string]string{provider: up.token(t, sub, "client1", time.Hour, claims)}
	}
	creds := func(logins map[string]string, custom string) (*ci.GetCredentialsForIdentityOutput, error) {
		id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		in := &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins}
		if custom != "" {
			in.CustomRoleArn = aws.String(custom)
		}
		return c.GetCredentialsForIdentity(ctx, in)
	}
	roles := []string{roleARN("Admins"), roleARN("Editors")}

	got, err := creds(login("u1", map[string]any{"cognito:roles": roles, "cognito:preferred_role": roleARN("Editors")}), "")
	if err != nil {
		t.Fatal(err)
	}
	if a := srv.callerARN(t, got.Credentials); !strings.Contains(a, ":assumed-role/Editors/") {
		t.Fatalf("preferred role: %s", a)
	}
	got, err = creds(login("u2", map[string]any{"cognito:roles": roles}), roleARN("Admins"))
	if err != nil {
		t.Fatal(err)
	}
	if a := srv.callerARN(t, got.Credentials); !strings.Contains(a, ":assumed-role/Admins/") {
		t.Fatalf("custom role: %s", a)
	}
	_, err = creds(login("u3", map[string]any{"cognito:roles": roles}), "")
	wantAPIError(t, err, "NotAuthorizedException", "The ambiguous role mapping rules for: "+provider+" denied this request.")
	_, err = creds(login("u4", map[string]any{"cognito:roles": roles}), roleARN("Other"))
	wantAPIError(t, err, "NotAuthorizedException", "")
}

// The classic flow through the STS endpoint: GetOpenIdToken, then AssumeRoleWithWebIdentity.
func TestClassicFlowThroughSTS(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)
	id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	if err != nil {
		t.Fatal(err)
	}
	stsc := sts.New(sts.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1})
	out, err := stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN("Guest")), RoleSessionName: aws.String("classic"), WebIdentityToken: tok.Token,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != aws.ToString(id.IdentityId) || aws.ToString(out.Audience) != pool {
		t.Fatalf("assumed %+v", out)
	}
	cr := out.Credentials
	if a := srv.callerARN(t, &types.Credentials{AccessKeyId: cr.AccessKeyId, SecretKey: cr.SecretAccessKey, SessionToken: cr.SessionToken}); a != "arn:aws:sts::"+testAccount+":assumed-role/Guest/classic" {
		t.Fatalf("caller %s", a)
	}
	_, err = stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN("Guest")), RoleSessionName: aws.String("classic"), WebIdentityToken: aws.String("not-a-token"),
	})
	var bad *ststypes.InvalidIdentityTokenException
	if !errors.As(err, &bad) {
		t.Fatalf("bad token: %v", err)
	}
}
