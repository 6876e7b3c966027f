package e2e

import (
	"encoding/json"
	"maps"
	"regexp"
	"strings"
	"testing"
)

// cliErrorLine is how AWS CLI v2 reports a service error on stderr.
var cliErrorLine = regexp.MustCompile(`An error occurred \(([A-Za-z]+)\) when calling the ([A-Za-z]+) operation(?: \(reached max retries: \d+\))?: (.*)`)

// cliServiceErrorExit is AWS CLI v2's exit code when the service answered with an error.
const cliServiceErrorExit = 254

type awsCLI struct {
	t       *testing.T
	url     string
	env     []string
	service string // the CLI's service command, cognito-identity unless set with on
}

func newAWSCLI(t *testing.T, srv *testServer, extraEnv ...string) *awsCLI {
	t.Helper()
	requireClient(t, "the AWS CLI ("+awsCLIPath+")", isExecutable(awsCLIPath))
	return &awsCLI{t: t, url: srv.URL, env: clientEnv(t, extraEnv...), service: "cognito-identity"}
}

// on returns the same CLI driving another service's commands, e.g. "iam".
func (c *awsCLI) on(service string) *awsCLI {
	cp := *c
	cp.service = service
	return &cp
}

func (c *awsCLI) run(args ...string) clientResult {
	c.t.Helper()
	full := append([]string{"--endpoint-url", c.url, "--output", "json", "--no-cli-pager", c.service}, args...)
	return runClient(c.t, c.t.TempDir(), c.env, awsCLIPath, full...)
}

// ok runs a command that must succeed and decodes its JSON output into out (unless out
// is nil, for commands that print nothing).
func (c *awsCLI) ok(out any, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.ExitCode != 0 {
		c.t.Fatalf("aws %s %s: exit %d\nstderr:\n%s", c.service, strings.Join(args, " "), r.ExitCode, r.Stderr)
	}
	if out == nil {
		if strings.TrimSpace(r.Stdout) != "" {
			c.t.Fatalf("aws cognito-identity %s: unexpected output %s", args[0], r.Stdout)
		}
		return
	}
	if err := json.Unmarshal([]byte(r.Stdout), out); err != nil {
		c.t.Fatalf("aws cognito-identity %s: output is not JSON (%v):\n%s", args[0], err, r.Stdout)
	}
}

// fails runs a command that must fail with the service error code and, when msg is not
// empty, exactly that message.
func (c *awsCLI) fails(code, msg string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.ExitCode != cliServiceErrorExit {
		c.t.Fatalf("aws cognito-identity %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.ExitCode, cliServiceErrorExit, r.Stdout, r.Stderr)
	}
	m := cliErrorLine.FindStringSubmatch(r.Stderr)
	if m == nil {
		c.t.Fatalf("aws cognito-identity %s: no service error on stderr:\n%s", args[0], r.Stderr)
	}
	if m[1] != code {
		c.t.Fatalf("aws cognito-identity %s: error %s, want %s\nstderr:\n%s", args[0], m[1], code, r.Stderr)
	}
	if got := strings.TrimSpace(m[3]); msg != "" && got != msg {
		c.t.Fatalf("aws cognito-identity %s: %s message\n got: %s\nwant: %s", args[0], code, got, msg)
	}
}

type cliPool struct {
	IdentityPoolId                 string
	IdentityPoolName               string
	AllowUnauthenticatedIdentities bool
	AllowClassicFlow               *bool
	DeveloperProviderName          string
	SupportedLoginProviders        map[string]string
	IdentityPoolTags               map[string]string
}

type cliPoolList struct {
	IdentityPools []struct{ IdentityPoolId, IdentityPoolName string }
	NextToken     *string
}

func TestCLIPools(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := newAWSCLI(t, srv)

	var created cliPool
	cli.ok(&created, "create-identity-pool", "--identity-pool-name", "cli pool", "--allow-unauthenticated-identities",
		"--developer-provider-name", "login.cli.test", "--identity-pool-tags", "team=web,env=test")
	id := created.IdentityPoolId
	if !poolIDPattern.MatchString(id) || created.IdentityPoolName != "cli pool" || !created.AllowUnauthenticatedIdentities ||
		created.DeveloperProviderName != "login.cli.test" || !maps.Equal(created.IdentityPoolTags, map[string]string{"team": "web", "env": "test"}) {
		t.Fatalf("create-identity-pool: %+v", created)
	}
	var second cliPool
	cli.ok(&second, "create-identity-pool", "--identity-pool-name", "cli pool 2", "--no-allow-unauthenticated-identities",
		"--allow-classic-flow")
	if second.AllowUnauthenticatedIdentities || second.AllowClassicFlow == nil || !*second.AllowClassicFlow {
		t.Fatalf("create-identity-pool (second): %+v", second)
	}

	var described cliPool
	cli.ok(&described, "describe-identity-pool", "--identity-pool-id", id)
	if described.IdentityPoolId != id || described.IdentityPoolName != "cli pool" || !described.AllowUnauthenticatedIdentities ||
		described.AllowClassicFlow != nil || described.DeveloperProviderName != "login.cli.test" ||
		!maps.Equal(described.IdentityPoolTags, created.IdentityPoolTags) {
		t.Fatalf("describe-identity-pool: %+v", described)
	}

	// --max-results is the operation's own member, so the CLI does not paginate: one pool
	// and a NextToken come back, and the token leads to the other pool.
	seen := map[string]string{}
	var token *string
	for page := 0; ; page++ {
		if page == 4 {
			t.Fatalf("list-identity-pools --max-results 1: still a NextToken after %d pages", page)
		}
		args := []string{"list-identity-pools", "--max-results", "1"}
		if token != nil {
			args = append(args, "--next-token", *token)
		}
		var list cliPoolList
		cli.ok(&list, args...)
		if len(list.IdentityPools) > 1 || (page == 0 && (len(list.IdentityPools) != 1 || list.NextToken == nil || *list.NextToken == "")) {
			t.Fatalf("list-identity-pools page %d: %+v", page, list)
		}
		for _, p := range list.IdentityPools {
			if _, dup := seen[p.IdentityPoolId]; dup {
				t.Fatalf("pool %s listed twice", p.IdentityPoolId)
			}
			seen[p.IdentityPoolId] = p.IdentityPoolName
		}
		if list.NextToken == nil {
			break
		}
		token = list.NextToken
	}
	if !maps.Equal(seen, map[string]string{id: "cli pool", second.IdentityPoolId: "cli pool 2"}) {
		t.Fatalf("list-identity-pools listed %v", seen)
	}

	// Update is a full replace: the classic flow flag and name change, tags stay.
	var updated cliPool
	cli.ok(&updated, "update-identity-pool", "--identity-pool-id", id, "--identity-pool-name", "cli pool renamed",
		"--no-allow-unauthenticated-identities", "--no-allow-classic-flow")
	if updated.IdentityPoolId != id || updated.IdentityPoolName != "cli pool renamed" || updated.AllowUnauthenticatedIdentities ||
		updated.AllowClassicFlow == nil || *updated.AllowClassicFlow || updated.DeveloperProviderName != "login.cli.test" ||
		!maps.Equal(updated.IdentityPoolTags, created.IdentityPoolTags) {
		t.Fatalf("update-identity-pool: %+v", updated)
	}
	cli.ok(&described, "describe-identity-pool", "--identity-pool-id", id)
	if described.IdentityPoolName != "cli pool renamed" || described.AllowUnauthenticatedIdentities {
		t.Fatalf("describe after update: %+v", described)
	}

	arn := poolARN(id)
	cli.ok(nil, "tag-resource", "--resource-arn", arn, "--tags", "team=ops,owner=alice")
	var tags struct{ Tags map[string]string }
	cli.ok(&tags, "list-tags-for-resource", "--resource-arn", arn)
	if !maps.Equal(tags.Tags, map[string]string{"team": "ops", "env": "test", "owner": "alice"}) {
		t.Fatalf("list-tags-for-resource after tag-resource: %v", tags.Tags)
	}
	cli.ok(nil, "untag-resource", "--resource-arn", arn, "--tag-keys", "env", "not-there")
	tags.Tags = nil
	cli.ok(&tags, "list-tags-for-resource", "--resource-arn", arn)
	if !maps.Equal(tags.Tags, map[string]string{"team": "ops", "owner": "alice"}) {
		t.Fatalf("list-tags-for-resource after untag-resource: %v", tags.Tags)
	}

	cli.ok(nil, "delete-identity-pool", "--identity-pool-id", id)
	notFound := "IdentityPool '" + id + "' not found."
	cli.fails("ResourceNotFoundException", notFound, "describe-identity-pool", "--identity-pool-id", id)
	cli.fails("ResourceNotFoundException", notFound, "delete-identity-pool", "--identity-pool-id", id)
	cli.fails("ResourceNotFoundException", notFound, "list-tags-for-resource", "--resource-arn", arn)
	var rest cliPoolList
	cli.ok(&rest, "list-identity-pools", "--max-results", "60")
	if len(rest.IdentityPools) != 1 || rest.IdentityPools[0].IdentityPoolId != second.IdentityPoolId || rest.NextToken != nil {
		t.Fatalf("list-identity-pools after delete: %+v", rest)
	}
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	unknown := "us-east-1:00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name string
		env  []string
		code string
		msg  string
		args []string
	}{
		{"unknown pool", nil, "ResourceNotFoundException", "IdentityPool '" + unknown + "' not found.",
			[]string{"describe-identity-pool", "--identity-pool-id", unknown}},
		{"malformed pool ID", nil, "ValidationException",
			`1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
			[]string{"describe-identity-pool", "--identity-pool-id", "us-east-2:mock"}},
		{"max results too large", nil, "ValidationException",
			`1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60`,
			[]string{"list-identity-pools", "--max-results", "61"}},
		{"garbage next token", nil, "InvalidParameterException", "",
			[]string{"list-identity-pools", "--max-results", "5", "--next-token", "garbage"}},
		{"wrong secret", []string{"AWS_SECRET_ACCESS_KEY=wrong/secret/wrong/secret/0000000000000"}, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
			[]string{"list-identity-pools", "--max-results", "10"}},
		{"unknown key", []string{"AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000"}, "UnrecognizedClientException",
			"The security token included in the request is invalid.",
			[]string{"list-identity-pools", "--max-results", "10"}},
		{"wrong region", []string{"AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"}, "InvalidSignatureException", "",
			[]string{"list-identity-pools", "--max-results", "10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			newAWSCLI(t, srv, tc.env...).fails(tc.code, tc.msg, tc.args...)
		})
	}
}
