package iam

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"
)

const cognitoTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-1234-1234-1234-123456789012"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`

func TestRoleLifecycle(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()

	created, err := c.CreateRole(ctx, &sdkiam.CreateRoleInput{
		RoleName:                 aws.String("Cognito_Auth"),
		AssumeRolePolicyDocument: aws.String(cognitoTrust),
		Path:                     aws.String("/idpool/"),
		Description:              aws.String("authenticated users"),
		MaxSessionDuration:       aws.Int32(7200),
		Tags:                     tagsOf("team", "identity"),
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	r := created.Role
	wantARN := "arn:aws:iam::" + testAccount + ":role/idpool/Cognito_Auth"
	if aws.ToString(r.Arn) != wantARN || aws.ToString(r.Path) != "/idpool/" || aws.ToString(r.RoleName) != "Cognito_Auth" {
		t.Errorf("created role %+v", r)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(aws.ToString(r.RoleId)) {
		t.Errorf("RoleId = %q", aws.ToString(r.RoleId))
	}
	if want := testNow.Truncate(time.Second); r.CreateDate == nil || !r.CreateDate.Equal(want) {
		t.Errorf("CreateDate = %v, want %v", r.CreateDate, want)
	}
	// IAM returns the document URL-encoded.
	if doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); err != nil || doc != cognitoTrust {
		t.Errorf("AssumeRolePolicyDocument decodes to %q, %v", doc, err)
	}
	if aws.ToString(r.AssumeRolePolicyDocument) == cognitoTrust {
		t.Error("AssumeRolePolicyDocument is not URL-encoded")
	}
	if aws.ToInt32(r.MaxSessionDuration) != 7200 || aws.ToString(r.Description) != "authenticated users" {
		t.Errorf("MaxSessionDuration %d, Description %q", aws.ToInt32(r.MaxSessionDuration), aws.ToString(r.Description))
	}
	if p := tagPairs(r.Tags); !slices.Equal(p, []string{"team=identity"}) {
		t.Errorf("Tags = %q", p)
	}

	got, err := c.GetRole(ctx, &sdkiam.GetRoleInput{RoleName: aws.String("cognito_auth")})
	if err != nil {
		t.Fatalf("GetRole (other case): %v", err)
	}
	if aws.ToString(got.Role.RoleId) != aws.ToString(r.RoleId) || aws.ToString(got.Role.RoleName) != "Cognito_Auth" {
		t.Errorf("GetRole = %+v", got.Role)
	}

	def, err := c.CreateRole(ctx, &sdkiam.CreateRoleInput{RoleName: aws.String("Basic"), AssumeRolePolicyDocument: aws.String(cognitoTrust)})
	if err != nil {
		t.Fatalf("CreateRole with defaults: %v", err)
	}
	if aws.ToString(def.Role.Path) != "/" || aws.ToInt32(def.Role.MaxSessionDuration) != 3600 ||
		aws.ToString(def.Role.Arn) != "arn:aws:iam::"+testAccount+":role/Basic" {
		t.Errorf("defaults: %+v", def.Role)
	}

	_, err = c.CreateRole(ctx, &sdkiam.CreateRoleInput{RoleName: aws.String("BASIC"), AssumeRolePolicyDocument: aws.String(cognitoTrust)})
	wantAPIError(t, "duplicate CreateRole", err, "EntityAlreadyExists", http.StatusConflict, "Role with name BASIC already exists.")

	list, err := c.ListRoles(ctx, &sdkiam.ListRolesInput{})
	if err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	var names []string
	for _, r := range list.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	if !slices.Equal(names, []string{"Basic", "Cognito_Auth"}) || list.IsTruncated {
		t.Errorf("ListRoles = %q, truncated %v", names, list.IsTruncated)
	}
	page, err := c.ListRoles(ctx, &sdkiam.ListRolesInput{MaxItems: aws.Int32(1)})
	if err != nil || len(page.Roles) != 1 || !page.IsTruncated || aws.ToString(page.Marker) == "" {
		t.Fatalf("ListRoles page 1 = %+v, %v", page, err)
	}
	page, err = c.ListRoles(ctx, &sdkiam.ListRolesInput{MaxItems: aws.Int32(1), Marker: page.Marker})
	if err != nil || len(page.Roles) != 1 || page.IsTruncated || aws.ToString(page.Roles[0].RoleName) != "Cognito_Auth" {
		t.Fatalf("ListRoles page 2 = %+v, %v", page, err)
	}
	pre, err := c.ListRoles(ctx, &sdkiam.ListRolesInput{PathPrefix: aws.String("/idpool/")})
	if err != nil || len(pre.Roles) != 1 {
		t.Errorf("ListRoles with PathPrefix = %+v, %v", pre, err)
	}

	// Another account sees nothing.
	s.Auth.set(otherAccount, nil)
	_, err = c.GetRole(ctx, &sdkiam.GetRoleInput{RoleName: aws.String("Basic")})
	wantAPIError(t, "GetRole from another account", err, "NoSuchEntity", http.StatusNotFound, "The role with name Basic cannot be found.")
	s.Auth.set(testAccount, nil)

	if _, err := c.DeleteRole(ctx, &sdkiam.DeleteRoleInput{RoleName: aws.String("Basic")}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	_, err = c.DeleteRole(ctx, &sdkiam.DeleteRoleInput{RoleName: aws.String("Basic")})
	wantAPIError(t, "second DeleteRole", err, "NoSuchEntity", http.StatusNotFound, "The role with name Basic cannot be found.")
	_, err = c.GetRole(ctx, &sdkiam.GetRoleInput{RoleName: aws.String("Basic")})
	wantAPIError(t, "GetRole after DeleteRole", err, "NoSuchEntity", http.StatusNotFound, "")
}

func TestCreateRoleErrors(t *testing.T) {
	s := newServer(t, nil)
	c, ctx := s.IAM, t.Context()
	for _, tc := range []struct {
		name string
		in   sdkiam.CreateRoleInput
		code string
		msg  string
	}{
		{"not json", sdkiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{nope")}, "MalformedPolicyDocument", "Syntax errors in policy."},
		{"no statement", sdkiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17"}`)}, "MalformedPolicyDocument", ""},
		{"bad name", sdkiam.CreateRoleInput{RoleName: aws.String("a/b"), AssumeRolePolicyDocument: aws.String(cognitoTrust)}, "ValidationError", ""},
		{"long name", sdkiam.CreateRoleInput{RoleName: aws.String(strings.Repeat("a", 65)), AssumeRolePolicyDocument: aws.String(cognitoTrust)}, "ValidationError", ""},
		{"bad path", sdkiam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("nopath"), AssumeRolePolicyDocument: aws.String(cognitoTrust)}, "ValidationError", ""},
		{"short session", sdkiam.CreateRoleInput{RoleName: aws.String("r"), MaxSessionDuration: aws.Int32(60), AssumeRolePolicyDocument: aws.String(cognitoTrust)}, "ValidationError", ""},
		{"long session", sdkiam.CreateRoleInput{RoleName: aws.String("r"), MaxSessionDuration: aws.Int32(43201), AssumeRolePolicyDocument: aws.String(cognitoTrust)}, "ValidationError", ""},
	} {
		_, err := c.CreateRole(ctx, &tc.in)
		wantAPIError(t, tc.name, err, tc.code, http.StatusBadRequest, tc.msg)
	}
	r := s.post(t, form("Action", "CreateRole", "Version", Version, "RoleName", "r"))
	wantRawError(t, "missing document", r, http.StatusBadRequest, "ValidationError")
	r = s.post(t, form("Action", "GetRole", "Version", Version))
	wantRawError(t, "GetRole without a name", r, http.StatusBadRequest, "ValidationError")
	if list, err := c.ListRoles(ctx, &sdkiam.ListRolesInput{}); err != nil || len(list.Roles) != 0 {
		t.Errorf("roles after failed creates: %+v, %v", list, err)
	}
}

func TestRolesWithoutRoleStore(t *testing.T) {
	s := newServer(t, failingStore{})
	r := s.post(t, form("Action", "ListRoles", "Version", Version))
	wantRawError(t, "ListRoles", r, http.StatusInternalServerError, "ServiceFailure")
}
