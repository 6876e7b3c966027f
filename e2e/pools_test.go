package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
)

var poolIDPattern = regexp.MustCompile(`^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func poolARN(id string) string {
	return "arn:aws:cognito-identity:us-east-1:" + testAccount + ":identitypool/" + id
}

func createPool(t *testing.T, c *ci.Client, name string) *ci.CreateIdentityPoolOutput {
	t.Helper()
	out, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String(name),
		AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPoolLifecycle(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()

	created, err := c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("My pool"),
		AllowUnauthenticatedIdentities: false,
		AllowClassicFlow:               aws.Bool(true),
		SupportedLoginProviders:        map[string]string{"accounts.google.com": "123.apps.googleusercontent.com", "api.twitter.com": "key;secret"},
		DeveloperProviderName:          aws.String("login.mycompany.myapp"),
		OpenIdConnectProviderARNs:      []string{"arn:aws:iam::" + testAccount + ":oidc-provider/127.0.0.1:9000/realms/demo"},
		SamlProviderARNs:               []string{"arn:aws:iam::" + testAccount + ":saml-provider/corp"},
		CognitoIdentityProviders: []types.CognitoIdentityProvider{{
			ProviderName: aws.String("cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"), ClientId: aws.String("abc123client"), ServerSideTokenCheck: aws.Bool(true),
		}},
		IdentityPoolTags: map[string]string{"team": "web", "empty": ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.IdentityPoolId)
	if !poolIDPattern.MatchString(id) {
		t.Fatalf("pool ID %q", id)
	}

	got, err := c.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.IdentityPoolName) != "My pool" || got.AllowUnauthenticatedIdentities || !aws.ToBool(got.AllowClassicFlow) ||
		got.SupportedLoginProviders["api.twitter.com"] != "key;secret" || aws.ToString(got.DeveloperProviderName) != "login.mycompany.myapp" ||
		len(got.OpenIdConnectProviderARNs) != 1 || len(got.SamlProviderARNs) != 1 || len(got.CognitoIdentityProviders) != 1 ||
		!aws.ToBool(got.CognitoIdentityProviders[0].ServerSideTokenCheck) || got.IdentityPoolTags["team"] != "web" {
		t.Fatalf("describe: %+v", got)
	}

	// Update is a full replace: omitted members return to their defaults; tags and the
	// developer provider stay.
	upd, err := c.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{
		IdentityPoolId:                 &id,
		IdentityPoolName:               aws.String("Renamed"),
		AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.IdentityPoolName) != "Renamed" || !upd.AllowUnauthenticatedIdentities || upd.AllowClassicFlow != nil ||
		len(upd.SupportedLoginProviders) != 0 || len(upd.CognitoIdentityProviders) != 0 || len(upd.OpenIdConnectProviderARNs) != 0 ||
		aws.ToString(upd.DeveloperProviderName) != "login.mycompany.myapp" || upd.IdentityPoolTags["team"] != "web" {
		t.Fatalf("update: %+v", upd)
	}
	_, err = c.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{
		IdentityPoolId: &id, IdentityPoolName: aws.String("Renamed"), AllowUnauthenticatedIdentities: true,
		DeveloperProviderName: aws.String("other.provider"),
	})
	wantAPIError(t, err, "InvalidParameterException", "Cannot change DeveloperProviderName once it is set.")

	if _, err := c.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: &id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+id+"' not found.")
	_, err = c.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: &id})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+id+"' not found.")
	_, err = c.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: &id, IdentityPoolName: aws.String("x"), AllowUnauthenticatedIdentities: true})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+id+"' not found.")
}

func TestClassicFlowThreeValued(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	for _, v := range []*bool{nil, aws.Bool(false), aws.Bool(true)} {
		out, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: true, AllowClassicFlow: v})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.DescribeIdentityPool(t.Context(), &ci.DescribeIdentityPoolInput{IdentityPoolId: out.IdentityPoolId})
		if err != nil {
			t.Fatal(err)
		}
		if (v == nil) != (got.AllowClassicFlow == nil) || (v != nil && *v != *got.AllowClassicFlow) {
			t.Fatalf("AllowClassicFlow %v came back as %v", v, got.AllowClassicFlow)
		}
	}
}

func TestPoolProviderChecks(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	base := func() *ci.CreateIdentityPoolInput {
		return &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: true}
	}
	cases := []struct {
		name string
		mod  func(*ci.CreateIdentityPoolInput)
		code string
	}{
		{"unknown social provider", func(in *ci.CreateIdentityPoolInput) {
			in.SupportedLoginProviders = map[string]string{"example.com": "x"}
		}, "InvalidParameterException"},
		{"twitter without secret", func(in *ci.CreateIdentityPoolInput) {
			in.SupportedLoginProviders = map[string]string{"api.twitter.com": "key"}
		}, "InvalidParameterException"},
		{"bad user pool name", func(in *ci.CreateIdentityPoolInput) {
			in.CognitoIdentityProviders = []types.CognitoIdentityProvider{{ProviderName: aws.String("example.com/pool"), ClientId: aws.String("abc")}}
		}, "InvalidParameterException"},
		{"user pool without client", func(in *ci.CreateIdentityPoolInput) {
			in.CognitoIdentityProviders = []types.CognitoIdentityProvider{{ProviderName: aws.String("cognito-idp.us-east-1.amazonaws.com/us-east-1_abc")}}
		}, "InvalidParameterException"},
		{"oidc arn malformed", func(in *ci.CreateIdentityPoolInput) {
			in.OpenIdConnectProviderARNs = []string{"arn:aws:iam::123456789012:role/notaprovider"}
		}, "InvalidParameterException"},
		{"saml arn of another account", func(in *ci.CreateIdentityPoolInput) {
			in.SamlProviderARNs = []string{"arn:aws:iam::999999999999:saml-provider/corp"}
		}, "InvalidParameterException"},
		{"reserved tag key", func(in *ci.CreateIdentityPoolInput) {
			in.IdentityPoolTags = map[string]string{"aws:owner": "x"}
		}, "InvalidParameterException"},
		{"too many user pools", func(in *ci.CreateIdentityPoolInput) {
			for i := range 51 {
				in.CognitoIdentityProviders = append(in.CognitoIdentityProviders, types.CognitoIdentityProvider{
					ProviderName: aws.String(fmt.Sprintf("cognito-idp.us-east-1.amazonaws.com/us-east-1_p%d", i)), ClientId: aws.String("c")})
			}
		}, "LimitExceededException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.mod(in)
			_, err := c.CreateIdentityPool(t.Context(), in)
			wantAPIError(t, err, tc.code, "")
		})
	}
}

func TestListIdentityPoolsPaging(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	want := map[string]bool{}
	for i := range 25 {
		want[aws.ToString(createPool(t, c, fmt.Sprintf("pool-%d", i)).IdentityPoolId)] = true
	}

	// Page through, creating and deleting pools between pages.
	seen := map[string]bool{}
	var next *string
	var deleted []string
	pages := 0
	for {
		out, err := c.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(7), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.IdentityPools) > 7 {
			t.Fatalf("page of %d", len(out.IdentityPools))
		}
		for _, p := range out.IdentityPools {
			id := aws.ToString(p.IdentityPoolId)
			if seen[id] {
				t.Fatalf("pool %s listed twice", id)
			}
			if slices.Contains(deleted, id) {
				t.Fatalf("deleted pool %s listed", id)
			}
			seen[id] = true
		}
		if out.NextToken == nil {
			break
		}
		next = out.NextToken
		// Delete one pool not yet seen.
		for id := range want {
			if !seen[id] && !slices.Contains(deleted, id) {
				if _, err := c.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: aws.String(id)}); err != nil {
					t.Fatal(err)
				}
				deleted = append(deleted, id)
				break
			}
		}
	}
	for id := range want {
		if !seen[id] && !slices.Contains(deleted, id) {
			t.Fatalf("pool %s never listed", id)
		}
	}
	if pages < 3 {
		t.Fatalf("only %d pages", pages)
	}

	// Exactly one page when everything fits: no NextToken.
	out, err := c.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	if out.NextToken != nil || len(out.IdentityPools) != 25-len(deleted) {
		t.Fatalf("got %d pools, next %v", len(out.IdentityPools), out.NextToken)
	}

	_, err = c.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(5), NextToken: aws.String("garbage")})
	wantAPIError(t, err, "InvalidParameterException", "")
}

func TestPoolQuota(t *testing.T) {
	srv := startServer(t, "--max-pools-per-account", "3")
	c := srv.client(t)
	for i := range 3 {
		createPool(t, c, fmt.Sprintf("p%d", i))
	}
	_, err := c.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("p3"), AllowUnauthenticatedIdentities: true})
	wantAPIError(t, err, "LimitExceededException", "")
}

func TestTags(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	id := aws.ToString(createPool(t, c, "tagged").IdentityPoolId)
	arn := poolARN(id)

	if _, err := c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"b": "3", "c": ""}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &ci.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"a", "missing"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListTagsForResource(ctx, &ci.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 2 || out.Tags["b"] != "3" || out.Tags["c"] != "" {
		t.Fatalf("tags %v", out.Tags)
	}
	desc, err := c.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil || len(desc.IdentityPoolTags) != 2 {
		t.Fatalf("describe tags %v %v", desc, err)
	}

	_, err = c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"aws:x": "1"}})
	wantAPIError(t, err, "InvalidParameterException", "")
	many := map[string]string{}
	for i := range 49 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &arn, Tags: many})
	wantAPIError(t, err, "InvalidParameterException", "")
	delete(many, "k0")
	delete(many, "k1") // 47 new + b + c = 49
	if _, err = c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &arn, Tags: many}); err != nil {
		t.Fatal(err)
	}

	_, err = c.ListTagsForResource(ctx, &ci.ListTagsForResourceInput{ResourceArn: aws.String("not-an-arn-but-long-enough")})
	wantAPIError(t, err, "InvalidParameterException", "")
	other := poolARN("us-east-1:00000000-0000-4000-8000-000000000000")
	_, err = c.ListTagsForResource(ctx, &ci.ListTagsForResourceInput{ResourceArn: &other})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")
	foreign := strings.Replace(arn, testAccount, "999999999999", 1)
	_, err = c.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &foreign, Tags: map[string]string{"x": "y"}})
	wantAPIError(t, err, "ResourceNotFoundException", "")
}

func TestValidationErrors(t *testing.T) {
	srv := startServer(t)
	c := srv.client(t)
	ctx := t.Context()
	_, err := c.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String("us-east-2:mock")})
	wantAPIError(t, err, "ValidationException",
		`1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`)
	_, err = c.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(61)})
	wantAPIError(t, err, "ValidationException",
		`1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60`)
	_, err = c.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad/name"), AllowUnauthenticatedIdentities: true, DeveloperProviderName: aws.String("bad provider")})
	wantAPIError(t, err, "ValidationException",
		`2 validation errors detected: Value 'bad/name' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+; Value 'bad provider' at 'developerProviderName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w._-]+`)
}
