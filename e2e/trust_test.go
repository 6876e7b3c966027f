package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Roles registered with IAM CreateRole have their trust policy enforced: AWS's documented
// Cognito trust policy admits authenticated identities of its pool only.
func TestRoleTrustPolicies(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},` +
		`"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"},` +
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`
	role, err := srv.iamClient(t).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Members"), AssumeRolePolicyDocument: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(role.Role.Arn)
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
		Roles: map[string]string{"unauthenticated": arn, "authenticated": arn}}); err != nil {
		t.Fatal(err)
	}

	dev := devToken(t, c, pool, "alice", nil, nil)
	got, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: dev.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(dev.Token)}})
	if err != nil {
		t.Fatal(err)
	}
	if a := srv.callerARN(t, got.Credentials); !strings.HasSuffix(a, ":assumed-role/Members/CognitoIdentityCredentials") {
		t.Fatalf("caller %s", a)
	}

	unauth, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: unauth.IdentityId})
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", "Invalid identity pool configuration. Check assigned IAM roles for this pool.")

	// Another pool naming the role is refused too: the policy names this pool's ID.
	other := createDevPool(t, c, true)
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &other, Roles: map[string]string{"authenticated": arn}}); err != nil {
		t.Fatal(err)
	}
	odev := devToken(t, c, other, "bob", nil, nil)
	_, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: odev.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(odev.Token)}})
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", "")
}
