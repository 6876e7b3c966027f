package bench

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// cleanupTimeout bounds the cleanup, which runs even after the run's context ended.
const cleanupTimeout = 30 * time.Second

// setup makes the pool (and its roles), or, with --pool-id, reads the existing pool.
func (b *bench) setup(ctx context.Context) error {
	c := newClient(ctx, b.ep, -1, b.seed)
	defer c.close()
	if b.cfg.PoolID != "" {
		b.poolID = b.cfg.PoolID
		c.buf = bodyPool(c.buf, b.poolID)
		var out poolResponse
		ok, _ := b.send(c, opDescribePool, false, &out)
		switch {
		case ok && out.DeveloperProviderName != "":
			b.devProvider = out.DeveloperProviderName
		case ok:
			b.warn("pool %s has no DeveloperProviderName; developer scenarios will fail", b.poolID)
		case unsupported(c.lastType):
			b.warn("DescribeIdentityPool failed (%s); assuming the developer provider is %s", c.lastType, b.devProvider)
		default:
			return fmt.Errorf("DescribeIdentityPool %s: %s", b.poolID, describe(c.lastType, c.lastMsg))
		}
		b.note("using pool %s (developer provider %s)", b.poolID, b.devProvider)
		return nil
	}

	// The pool first: the roles' trust policies name its ID.
	name := "idpool-bench-" + b.suffix
	c.buf = bodyCreatePool(c.buf, name, DeveloperProvider)
	r := c.call([]string{targetCreatePool})
	if r.typ != "" {
		return fmt.Errorf("CreateIdentityPool: %s", describe(r.typ, c.lastMsg))
	}
	var pool poolResponse
	if err := json.Unmarshal(c.resp, &pool); err != nil || !pool.valid() {
		return fmt.Errorf("CreateIdentityPool: unexpected response %.200q", c.resp)
	}
	b.poolID, b.poolCreated = pool.IdentityPoolId, true
	b.note("created pool %s (%s)", b.poolID, name)

	arns := map[string]string{}
	for _, kind := range []string{"authenticated", "unauthenticated"} {
		roleName := name + "-" + strings.TrimSuffix(kind, "enticated")
		arn, err := b.createRole(ctx, c, roleName, trustPolicy(b.poolID, kind))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.warn("IAM CreateRole %s failed (%v); going on without roles (GetCredentialsForIdentity will likely fail)", roleName, err)
			break
		}
		b.roleNames = append(b.roleNames, roleName)
		arns[kind] = arn
	}
	if len(arns) < 2 {
		return nil
	}
	b.roleARNs = arns
	b.note("created roles %s", strings.Join(b.roleNames, ", "))
	c.buf = bodySetRoles(c.buf, b.poolID, arns["authenticated"], arns["unauthenticated"])
	if r := c.call([]string{targetSetRoles}); r.typ != "" {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		hint := ""
		if unsupported(r.typ) {
			hint = ", which the endpoint does not seem to implement"
		}
		b.warn("SetIdentityPoolRoles failed (%s)%s; going on without pool roles", describe(r.typ, c.lastMsg), hint)
	}
	return nil
}

// describe formats an error type and message for warnings and errors.
func describe(typ, msg string) string {
	if msg == "" && strings.HasPrefix(typ, "HTTP") {
		return typ + " without an AWS error type"
	}
	if msg == "" {
		return typ
	}
	return typ + ": " + msg
}

// IAM Query-protocol responses.
type (
	iamCreateRoleResponse struct {
		Arn string `xml:"CreateRoleResult>Role>Arn"`
	}
	iamErrorResponse struct {
		Code     string `xml:"Error>Code"`
		Message  string `xml:"Error>Message"`
		Code2    string `xml:"Errors>Error>Code"`
		Message2 string `xml:"Errors>Error>Message"`
	}
)

// iamCall sends an IAM action and returns its body, or an error naming IAM's error code.
func (b *bench) iamCall(ctx context.Context, c *client, action string, params url.Values) ([]byte, error) {
	params.Set("Action", action)
	params.Set("Version", "2010-05-08")
	status, body, err := c.query(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", ErrTransport, err)
	}
	if status < 300 {
		return body, nil
	}
	var e iamErrorResponse
	if xml.Unmarshal(body, &e) == nil && (e.Code != "" || e.Code2 != "") {
		if e.Code == "" {
			e.Code, e.Message = e.Code2, e.Message2
		}
		return nil, errors.New(describe(e.Code, e.Message))
	}
	// Not an IAM error: perhaps a JSON error of a server that only speaks Cognito.
	typ, msg := ClassifyError(status, "", body)
	return nil, errors.New(describe(typ, msg))
}

func (b *bench) createRole(ctx context.Context, c *client, name, policy string) (string, error) {
	body, err := b.iamCall(ctx, c, "CreateRole", url.Values{
		"RoleName":                 {name},
		"AssumeRolePolicyDocument": {policy},
		"Description":              {"idpool bench role, deleted at the end of the run"},
	})
	if err != nil {
		return "", err
	}
	var out iamCreateRoleResponse
	if err := xml.Unmarshal(body, &out); err != nil || out.Arn == "" {
		return "", fmt.Errorf("unexpected CreateRole response %.200q", body)
	}
	return out.Arn, nil
}

// cleanupResult says what the cleanup did.
type cleanupResult struct {
	Done   bool
	Kept   bool
	Errors []string
}

// cleanup deletes the pool and roles the bench created, unless --keep. It runs with its
// own timeout even when ctx has ended (Ctrl-C).
func (b *bench) cleanup(ctx context.Context) *cleanupResult {
	res := &cleanupResult{}
	if !b.poolCreated && len(b.roleNames) == 0 {
		return res
	}
	if b.cfg.Keep {
		res.Kept = true
		b.note("keeping pool %s and roles %v (--keep)", b.poolID, b.roleNames)
		return res
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	c := newClient(ctx, b.ep, -2, b.seed)
	defer c.close()
	if b.poolCreated {
		c.buf = bodyPool(c.buf, b.poolID)
		if r := c.call([]string{targetDeletePool}); r.typ != "" {
			res.Errors = append(res.Errors, fmt.Sprintf("DeleteIdentityPool %s: %s", b.poolID, describe(r.typ, c.lastMsg)))
		}
	}
	for _, name := range b.roleNames {
		if _, err := b.iamCall(ctx, c, "DeleteRole", url.Values{"RoleName": {name}}); err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("IAM DeleteRole %s: %v", name, err))
		}
	}
	for _, e := range res.Errors {
		b.warn("cleanup: %s", e)
	}
	res.Done = len(res.Errors) == 0
	if res.Done {
		n := strconv.Itoa(len(b.roleNames))
		b.note("deleted pool %s and %s roles", b.poolID, n)
	}
	return res
}
