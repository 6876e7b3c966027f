package storagetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// fullRole returns a role of account with every field set. The role ID is random so that
// roles never collide by it; strings carry quotes, backslashes and non-ASCII text; the
// time has a non-UTC zone and nanoseconds.
func fullRole(account, name string) *storage.Role {
	zone := time.FixedZone("UTC+5:30", 5*60*60+30*60)
	id := strings.ToUpper(strings.ReplaceAll(guid(), "-", ""))
	return &storage.Role{
		AccountID:                account,
		Name:                     name,
		Path:                     "/division/ü/",
		ARN:                      "arn:aws:iam::" + account + ":role/division/ü/" + name,
		RoleID:                   "AROA" + id[:17],
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"k":"a\\b \"ü\" <&>"}}}}`,
		Description:              `the "role" \ ü`,
		MaxSessionDuration:       43200,
		Tags:                     map[string]string{"team": "identity", "empty-value": "", "ключ": `"значение" \`},
		CreatedAt:                time.Date(2032, 1, 2, 3, 4, 5, 987654321, zone),
	}
}

func mustCreateRole(t *testing.T, s storage.Store, r *storage.Role) {
	t.Helper()
	if err := s.CreateRole(t.Context(), r); err != nil {
		t.Fatalf("CreateRole(%s): %v", r.Name, err)
	}
}

func mustGetRole(t *testing.T, s storage.Store, accountID, name string) *storage.Role {
	t.Helper()
	r, err := s.GetRole(t.Context(), accountID, name)
	if err != nil {
		t.Fatalf("GetRole(%s, %s): %v", accountID, name, err)
	}
	return r
}

func testRoleRoundTrip(t *testing.T, s storage.Store) {
	if unset := unsetFields(fullRole(acctA, "full")); len(unset) > 0 {
		t.Fatalf("storagetest: fullRole leaves %v unset", unset)
	}
	minimal := &storage.Role{AccountID: acctA, Name: "minimal", ARN: "arn:aws:iam::" + acctA + ":role/minimal", RoleID: "AROAMINIMAL", CreatedAt: time.Now()}
	empty := fullRole(acctA, "empty-tags")
	empty.Tags = map[string]string{}
	for name, r := range map[string]*storage.Role{"full": fullRole(acctA, "full"), "nil tags and empty strings": minimal, "empty tags": empty} {
		want := r.Clone()
		want.CreatedAt = want.CreatedAt.Truncate(time.Millisecond).UTC()
		mustCreateRole(t, s, r)
		got := mustGetRole(t, s, acctA, r.Name)
		requireEqual(t, name+": GetRole", got, want)
		if sh := sharedRefs(got, r); len(sh) > 0 {
			t.Errorf("%s: GetRole result shares %v with the role passed to CreateRole", name, sh)
		}
		if got.Tags != nil {
			got.Tags["mutated"] = "x"
		}
		requireEqual(t, name+": GetRole after mutating an earlier result", mustGetRole(t, s, acctA, r.Name), want)
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("%s: CreatedAt comes back in %v, want UTC", name, got.CreatedAt.Location())
		}
	}
}

func testRoleNameCaseInsensitive(t *testing.T, s storage.Store) {
	ctx := t.Context()
	r := fullRole(acctA, "MixedCase")
	mustCreateRole(t, s, r)
	if got := mustGetRole(t, s, acctA, "mixedcase"); got.Name != "MixedCase" {
		t.Errorf("GetRole(mixedcase).Name = %q, want the name as created", got.Name)
	}
	wantErr(t, "CreateRole with a name differing only in case", s.CreateRole(ctx, fullRole(acctA, "MIXEDCASE")), storage.ErrAlreadyExists)
	wantErr(t, "CreateRole with the same name", s.CreateRole(ctx, fullRole(acctA, "MixedCase")), storage.ErrAlreadyExists)
	dupID := fullRole(acctA, "other")
	dupID.RoleID = r.RoleID
	wantErr(t, "CreateRole with a taken role ID", s.CreateRole(ctx, dupID), storage.ErrAlreadyExists)
	// Another account may use the name.
	mustCreateRole(t, s, fullRole(acctB, "mixedcase"))
	if err := s.DeleteRole(ctx, acctA, "MIXEDCASE"); err != nil {
		t.Fatalf("DeleteRole(MIXEDCASE): %v", err)
	}
	_, err := s.GetRole(ctx, acctA, "MixedCase")
	wantErr(t, "GetRole after DeleteRole", err, storage.ErrNotFound)
	mustGetRole(t, s, acctB, "mixedcase")
}

func testRoleNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateRole(t, s, fullRole(acctA, "mine"))
	_, err := s.GetRole(ctx, acctB, "mine")
	wantErr(t, "GetRole from another account", err, storage.ErrNotFound)
	wantErr(t, "DeleteRole from another account", s.DeleteRole(ctx, acctB, "mine"), storage.ErrNotFound)
	_, err = s.GetRole(ctx, acctA, "unknown")
	wantErr(t, "GetRole of an unknown name", err, storage.ErrNotFound)
	wantErr(t, "DeleteRole of an unknown name", s.DeleteRole(ctx, acctA, "unknown"), storage.ErrNotFound)
	mustGetRole(t, s, acctA, "mine")
	if err := s.DeleteRole(ctx, acctA, "mine"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second DeleteRole", s.DeleteRole(ctx, acctA, "mine"), storage.ErrNotFound)
}

func testRoleList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	got, err := s.ListRoles(ctx, acctA)
	if err != nil || len(got) != 0 {
		t.Fatalf("ListRoles of an empty account = %v, %v", got, err)
	}
	for _, n := range []string{"b", "C", "a", "B2"} {
		mustCreateRole(t, s, fullRole(acctA, n))
	}
	mustCreateRole(t, s, fullRole(acctB, "other"))
	got, err = s.ListRoles(ctx, acctA)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		if r.AccountID != acctA {
			t.Errorf("ListRoles(%s) returned a role of %s", acctA, r.AccountID)
		}
		names = append(names, r.Name)
	}
	if want := "B2,C,a,b"; strings.Join(names, ",") != want {
		t.Errorf("ListRoles names = %v, want %s (byte order)", names, want)
	}
}

func testRolesAfterClose(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateRole(t, s, fullRole(acctA, "r"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.CreateRole(ctx, fullRole(acctA, "s")); err == nil {
		t.Error("CreateRole after Close succeeded")
	}
	if _, err := s.GetRole(ctx, acctA, "r"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetRole after Close = %v, want a failure that is not ErrNotFound", err)
	}
	if _, err := s.ListRoles(ctx, acctA); err == nil {
		t.Error("ListRoles after Close succeeded")
	}
	if err := s.DeleteRole(ctx, acctA, "r"); err == nil {
		t.Error("DeleteRole after Close succeeded")
	}
}
