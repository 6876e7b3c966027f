package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/idpool/idpool/internal/pgtest"
)

// A deployment moves from SQLite to PostgreSQL with idpool export and idpool import and
// loses nothing: the two export files are identical record for record, the PostgreSQL
// server answers as the SQLite one did, and credentials and tokens issued before the move
// keep working after it.
func TestMoveSQLiteToPostgres(t *testing.T) {
	if onPostgres() {
		t.Skip("moves from SQLite: runs in the SQLite pass")
	}
	bin := buildIdpool(t)
	src := startServer(t)
	c := src.client(t)
	ctx := t.Context()

	// Something of every kind: a registered role and OpenID Connect provider, a fully
	// configured pool and a bare one, identities unauthenticated, developer, OIDC and
	// merged (disabled), and live STS credentials.
	iss := startIssuer(t, "/realms/move")
	oidcARN, oidcKey := registerOIDC(t, src, iss, "app")
	if _, err := src.iamClient(t).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Member"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`),
		Tags:                     []iamTag{{Key: aws.String("team"), Value: aws.String("id")}}}); err != nil {
		t.Fatal(err)
	}
	full, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("full"), AllowUnauthenticatedIdentities: true,
		AllowClassicFlow: aws.Bool(true), DeveloperProviderName: aws.String(devProvider), OpenIdConnectProviderARNs: []string{oidcARN},
		SupportedLoginProviders: map[string]string{"accounts.google.com": "app.apps.googleusercontent.com"},
		IdentityPoolTags:        map[string]string{"env": "prod", "empty": ""}})
	if err != nil {
		t.Fatal(err)
	}
	pool := aws.ToString(full.IdentityPoolId)
	if _, err := c.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
		Roles: map[string]string{"authenticated": roleARN("Member"), "unauthenticated": roleARN("Guest")},
		RoleMappings: map[string]types.RoleMapping{oidcKey: {Type: types.RoleMappingTypeRules, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeAuthenticatedRole,
			RulesConfiguration: &types.RulesConfigurationType{Rules: []types.MappingRule{{Claim: aws.String("dept"), MatchType: types.MappingRuleMatchTypeEquals,
				Value: aws.String("eng"), RoleARN: aws.String(roleARN("Member"))}}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{IdentityPoolId: &pool, IdentityProviderName: &oidcARN,
		PrincipalTags: map[string]string{"dept": "dept"}}); err != nil {
		t.Fatal(err)
	}
	bare := createDevPool(t, c, false)
	for range 3 {
		if _, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool}); err != nil {
			t.Fatal(err)
		}
	}
	alice := devToken(t, c, pool, "alice", nil, nil)
	devToken(t, c, pool, "bob", nil, nil)
	devToken(t, c, bare, "carol", nil, nil)
	if _, err := c.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{IdentityPoolId: &pool, DeveloperProviderName: aws.String(devProvider),
		SourceUserIdentifier: aws.String("bob"), DestinationUserIdentifier: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{oidcKey: iss.token(t, "dave", "app", time.Hour, nil)}}); err != nil {
		t.Fatal(err)
	}
	creds, err := c.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(alice.Token)}})
	if err != nil {
		t.Fatal(err)
	}
	callerBefore := src.callerARN(t, creds.Credentials)

	// The move.
	dir := t.TempDir()
	exported, again := filepath.Join(dir, "sqlite.jsonl"), filepath.Join(dir, "postgres.jsonl")
	pgURL := pgtest.NewDatabase(t)
	runIdpool(t, bin, "export", "--data-dir", src.DataDir, "--file", exported)
	runIdpool(t, bin, "import", "--data-dir", dir, "--database-url", pgURL, "--file", exported)
	runIdpool(t, bin, "export", "--data-dir", dir, "--database-url", pgURL, "--file", again)
	a, _ := os.ReadFile(exported)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Fatalf("PostgreSQL holds other records than SQLite did:\n--- sqlite\n%s\n--- postgres\n%s", a, b)
	}
	if n := bytes.Count(a, []byte("\n")); n < 13 {
		t.Fatalf("the export has only %d lines:\n%s", n, a)
	}

	// The PostgreSQL server, reached at the same issuer URL, answers as the SQLite one.
	dst := startServerIn(t, dir, "--database-url", pgURL, "--issuer-url", src.URL)
	d := dst.client(t)
	for _, p := range []string{pool, bare} {
		want, err := c.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &p})
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &p})
		if err != nil {
			t.Fatal(err)
		}
		got.ResultMetadata = want.ResultMetadata
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pool %s:\n got %+v\nwant %+v", p, got, want)
		}
		if w, g := listAll(t, c, p, false), listAll(t, d, p, false); !reflect.DeepEqual(g, w) {
			t.Errorf("identities of %s:\n got %+v\nwant %+v", p, g, w)
		}
	}
	look, err := d.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("bob")})
	if err != nil || aws.ToString(look.IdentityId) != aws.ToString(alice.IdentityId) {
		t.Errorf("bob after the move: %+v %v, want merged into %s", look, err, aws.ToString(alice.IdentityId))
	}
	// Credentials and tokens issued before the move.
	if got := dst.callerARN(t, creds.Credentials); got != callerBefore {
		t.Errorf("credentials issued before the move: caller %s, want %s", got, callerBefore)
	}
	if _, err := d.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: alice.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(alice.Token)}}); err != nil {
		t.Errorf("a token signed before the move: %v", err)
	}
}

type iamTag = iamtypes.Tag

// runIdpool runs the idpool binary with a clean environment and fails the test if it
// fails.
func runIdpool(t *testing.T, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("idpool %v: %v\n%s", args, err, out)
	}
}
