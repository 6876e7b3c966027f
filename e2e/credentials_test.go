package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func roleARN(name string) string { return "arn:aws:iam::" + testAccount + ":role/" + name }

// stsClient is an STS client of idpool's that signs with c.
func (s *testServer) stsClient(c *types.Credentials) *sts.Client {
	return sts.New(sts.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey), aws.ToString(c.SessionToken)),
		RetryMaxAttempts: 1,
	})
}

// callerARN asks idpool's STS who the credentials are.
func (s *testServer) callerARN(t *testing.T, c *types.Credentials) string {
	t.Helper()
	out, err := s.stsClient(c).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != testAccount {
		t.Fatalf("account %v", aws.ToString(out.Account))
	}
	return aws.ToString(out.Arn)
}

var accessKeyPattern = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)

func TestCredentialsForIdentity(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	iss := startIssuer(t, "/realms/corp")
	arn, key := registerOIDC(t, srv, iss, "app")
	out, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("creds"), AllowUnauthenticatedIdentities: true,
		DeveloperProviderName: aws.String(devProvider), OpenIdConnectProviderARNs: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	pool := out.IdentityPoolId
	unauth, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool})
	if err != nil {
		t.Fatal(err)
	}

	// No roles yet: AWS's configuration error.
	_, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: unauth.IdentityId})
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", "Invalid identity pool configuration. Check assigned IAM roles for this pool.")

	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: pool,
		Roles: map[string]string{"unauthenticated": roleARN("Guest"), "authenticated": roleARN("Member")},
		RoleMappings: map[string]types.RoleMapping{key: {Type: types.RoleMappingTypeRules, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny,
			RulesConfiguration: &types.RulesConfigurationType{Rules: []types.MappingRule{
				{Claim: aws.String("dept"), MatchType: types.MappingRuleMatchTypeEquals, Value: aws.String("eng"), RoleARN: aws.String(roleARN("Engineer"))},
				{Claim: aws.String("groups"), MatchType: types.MappingRuleMatchTypeContains, Value: aws.String("admin"), RoleARN: aws.String(roleARN("Admin"))},
			}}}},
	}); err != nil {
		t.Fatal(err)
	}

	// Unauthenticated: the guest role, real-looking credentials, an hour long.
	got, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: unauth.IdentityId})
	if err != nil {
		t.Fatal(err)
	}
	cr := got.Credentials
	if !accessKeyPattern.MatchString(aws.ToString(cr.AccessKeyId)) || len(aws.ToString(cr.SecretKey)) != 40 || aws.ToString(cr.SessionToken) == "" ||
		cr.Expiration.Sub(time.Now()) < 59*time.Minute || cr.Expiration.Sub(time.Now()) > 61*time.Minute {
		t.Fatalf("credentials %+v", cr)
	}
	if a := srv.callerARN(t, cr); a != "arn:aws:sts::"+testAccount+":assumed-role/Guest/CognitoIdentityCredentials" {
		t.Fatalf("caller %s", a)
	}
	again, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: unauth.IdentityId})
	if err != nil || aws.ToString(again.Credentials.AccessKeyId) == aws.ToString(cr.AccessKeyId) {
		t.Fatalf("second credentials %v %v", again, err)
	}

	// A developer identity through its token: the authenticated role.
	dev := devToken(t, c, aws.ToString(pool), "alice", nil, nil)
	got, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: dev.IdentityId, Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(dev.Token)}})
	if err != nil {
		t.Fatal(err)
	}
	if a := srv.callerARN(t, got.Credentials); !strings.HasSuffix(a, ":assumed-role/Member/CognitoIdentityCredentials") {
		t.Fatalf("developer caller %s", a)
	}
	_, err = c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: dev.IdentityId})
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")

	// OIDC logins go through the Rules mapping: first match wins; no match denies.
	for _, tc := range []struct {
		name   string
		claims map[string]any
		role   string
	}{
		{"equals", map[string]any{"dept": "eng", "groups": []string{"admin"}}, "Engineer"},
		{"contains in an array", map[string]any{"dept": "sales", "groups": []string{"users", "admin"}}, "Admin"},
		{"no match", map[string]any{"dept": "sales"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := iss.token(t, "user-"+strings.ReplaceAll(tc.name, " ", "-"), "app", time.Hour, tc.claims)
			logins := map[string]string{key: tok}
			id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: pool, Logins: logins})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
			if tc.role == "" {
				wantAPIError(t, err, "NotAuthorizedException", "The ambiguous role mapping rules for: "+key+" denied this request.")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a := srv.callerARN(t, got.Credentials); !strings.HasSuffix(a, ":assumed-role/"+tc.role+"/CognitoIdentityCredentials") {
				t.Fatalf("caller %s", a)
			}
		})
	}

	// The AWS CLI asks STS who the credentials are.
	cli := newAWSCLI(t, srv, "AWS_ACCESS_KEY_ID="+aws.ToString(cr.AccessKeyId), "AWS_SECRET_ACCESS_KEY="+aws.ToString(cr.SecretKey), "AWS_SESSION_TOKEN="+aws.ToString(cr.SessionToken))
	var who struct{ Arn, Account string }
	cli.on("sts").ok(&who, "get-caller-identity")
	if who.Arn != "arn:aws:sts::"+testAccount+":assumed-role/Guest/CognitoIdentityCredentials" {
		t.Fatalf("aws sts get-caller-identity: %+v", who)
	}
}

// Credentials past their hour are refused as STS refuses them, with ExpiredToken, which is
// what the SDKs take as their cue to fetch new ones.
func TestExpiredCredentialsRefused(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	pool := createDevPool(t, c, true)
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
		Roles: map[string]string{"unauthenticated": roleARN("Guest")}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	if err != nil {
		t.Fatal(err)
	}
	srv.Clock.Advance(time.Hour + time.Second)
	_, err = srv.stsClient(got.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", "The security token included in the request is expired")
}
