package storagetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// Run runs the conformance suite against the backend that open opens.
//
// Every subtest calls open once and expects a new, empty store. The subtests run in
// parallel, so open must be safe for concurrent use, and they run after the test function
// that called Run has returned: release what open acquired with t.Cleanup, not defer. The
// suite closes some stores itself, so the cleanup must tolerate a second Close.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	t.Helper()
	for _, c := range []struct {
		name string
		run  func(*testing.T, storage.Store)
	}{
		{"CreateGetRoundTrip", testRoundTrip},
		{"OtherAccountAndUnknownID", testNotFound},
		{"CreateDuplicateID", testDuplicateID},
		{"UpdatePersists", testUpdatePersists},
		{"UpdateFnErrorAborts", testUpdateFnError},
		{"UpdateImmutableFields", testUpdateImmutable},
		{"UpdateConcurrentNoLostUpdates", testUpdateConcurrent},
		{"Delete", testDelete},
		{"GetPoolByID", testGetPoolByID},
		{"PrincipalTagMapsRoundTrip", testPrincipalTagMaps},
		{"ListOrderPagingScoping", testListPaging},
		{"ListPagingUnderModification", testListUnderModification},
		{"Quota", testQuota},
		{"QuotaConcurrent", testQuotaConcurrent},
		{"IdentityPutGetRoundTrip", testIdentityRoundTrip},
		{"IdentityTxSeesOwnWrites", testIdentityTxSeesOwnWrites},
		{"IdentityPutReplacesLogins", testIdentityPutReplaces},
		{"IdentityPutConflict", testIdentityPutConflict},
		{"IdentityPutMissingPool", testIdentityPutMissingPool},
		{"IdentityFnErrorAborts", testIdentityFnError},
		{"IdentityDelete", testIdentityDelete},
		{"DeletePoolRemovesIdentities", testDeletePoolRemovesIdentities},
		{"ListIdentitiesPagingScoping", testListIdentities},
		{"ListIdentitiesUnderModification", testListIdentitiesUnderModification},
		{"IdentityConcurrentGetOrCreate", testIdentityConcurrentGetOrCreate},
		{"IdentityConcurrentMoveLogins", testIdentityConcurrentMoveLogins},
		{"KeysNotFoundThenCreate", testKeysCreate},
		{"KeysRoundTrip", testKeysRoundTrip},
		{"KeysUnchangedAndAbort", testKeysUnchangedAndAbort},
		{"KeysSessionKey", testKeysSessionKey},
		{"KeysConcurrentRotation", testKeysConcurrentRotation},
		{"ProviderCreateGetRoundTrip", testProviderRoundTrip},
		{"ProviderOtherAccountAndUnknownARN", testProviderNotFound},
		{"ProviderCreateDuplicateARN", testProviderDuplicateARN},
		{"ProviderListByKindOrderedScoped", testProviderList},
		{"ProviderUpdatePersists", testProviderUpdatePersists},
		{"ProviderUpdateFnErrorAborts", testProviderUpdateFnError},
		{"ProviderUpdateImmutableFields", testProviderUpdateImmutable},
		{"ProviderUpdateConcurrentNoLostUpdates", testProviderUpdateConcurrent},
		{"ProviderDelete", testProviderDelete},
		{"RoleCreateGetRoundTrip", testRoleRoundTrip},
		{"RoleNameCaseInsensitive", testRoleNameCaseInsensitive},
		{"RoleOtherAccountAndUnknownName", testRoleNotFound},
		{"RoleListOrderedScoped", testRoleList},
		{"RolesAfterClose", testRolesAfterClose},
		{"Ping", testPing},
		{"Close", testClose},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open(t))
		})
	}
	// These need more than one store.
	for _, c := range []struct {
		name string
		run  func(*testing.T, func(*testing.T) storage.Store)
	}{
		{"DumpRoundTrip", testDumpRoundTrip},
		{"DumpEmpty", testDumpEmpty},
		{"DumpExportFnError", testDumpExportFnError},
		{"DumpImportNotEmpty", testDumpImportNotEmpty},
		{"DumpImportAllOrNothing", testDumpImportAllOrNothing},
		{"DumpImportCancelled", testDumpImportCancelled},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open)
		})
	}
}

func mustCreate(t *testing.T, s storage.Store, p *storage.Pool) {
	t.Helper()
	if err := s.CreatePool(t.Context(), p, noLimit); err != nil {
		t.Fatalf("CreatePool(%s): %v", p.ID, err)
	}
}

func mustGet(t *testing.T, s storage.Store, accountID, poolID string) *storage.Pool {
	t.Helper()
	p, err := s.GetPool(t.Context(), accountID, poolID)
	if err != nil {
		t.Fatalf("GetPool(%s, %s): %v", accountID, poolID, err)
	}
	return p
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func testRoundTrip(t *testing.T, s storage.Store) {
	if unset := unsetFields(fullPool(acctA, regionA, ptr(true))); len(unset) > 0 {
		t.Fatalf("storagetest: fullPool leaves %v unset; give every field a non-zero value so backends must persist it", unset)
	}
	pools := map[string]*storage.Pool{
		"AllowClassicFlow nil":   fullPool(acctA, regionA, nil),
		"AllowClassicFlow true":  fullPool(acctA, regionA, ptr(true)),
		"AllowClassicFlow false": fullPool(acctA, regionA, ptr(false)),
		"all optional zero":      minimalPool(acctA, regionA),
		"empty collections":      emptyCollectionsPool(acctA, regionA),
	}
	for name, p := range pools {
		want := p.Clone()
		if err := s.CreatePool(t.Context(), p, noLimit); err != nil {
			t.Fatalf("%s: CreatePool: %v", name, err)
		}
		if d := diffPools(p, want); len(d) > 0 {
			t.Errorf("%s: CreatePool changed its argument: %v", name, d)
		}
		got := mustGet(t, s, acctA, p.ID)
		requirePoolEqual(t, name+": GetPool", got, want)
		if sh := sharedRefs(got, p); len(sh) > 0 {
			t.Errorf("%s: GetPool result shares %v with the pool passed to CreatePool", name, sh)
		}

		// Neither the caller's pool nor a returned one may be tied to what is stored.
		if p.Tags != nil {
			p.Tags["mutated-after-create"] = "x"
		}
		p.Name = "mutated after create"
		if got.Tags != nil {
			got.Tags["mutated-after-get"] = "x"
		}
		got.Name = "mutated after get"
		again := mustGet(t, s, acctA, p.ID)
		requirePoolEqual(t, name+": GetPool after mutating earlier results", again, want)
		if sh := sharedRefs(again, got); len(sh) > 0 {
			t.Errorf("%s: two GetPool results share %v", name, sh)
		}
	}
}

func testNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullPool(acctA, regionA, ptr(true))
	want := p.Clone()
	mustCreate(t, s, p)

	_, err := s.GetPool(ctx, acctB, p.ID)
	wantErr(t, "GetPool from another account", err, storage.ErrNotFound)
	called := false
	_, err = s.UpdatePool(ctx, acctB, p.ID, func(q *storage.Pool) error {
		called = true
		q.Name = "hijacked"
		return nil
	})
	wantErr(t, "UpdatePool from another account", err, storage.ErrNotFound)
	if called {
		t.Error("UpdatePool from another account called fn")
	}
	wantErr(t, "DeletePool from another account", s.DeletePool(ctx, acctB, p.ID), storage.ErrNotFound)
	requirePoolEqual(t, "pool after another account's attempts", mustGet(t, s, acctA, p.ID), want)

	unknown := newID(regionA)
	_, err = s.GetPool(ctx, acctA, unknown)
	wantErr(t, "GetPool of unknown ID", err, storage.ErrNotFound)
	_, err = s.UpdatePool(ctx, acctA, unknown, func(*storage.Pool) error {
		t.Error("UpdatePool of unknown ID called fn")
		return nil
	})
	wantErr(t, "UpdatePool of unknown ID", err, storage.ErrNotFound)
	wantErr(t, "DeletePool of unknown ID", s.DeletePool(ctx, acctA, unknown), storage.ErrNotFound)
}

func testDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullPool(acctA, regionA, nil)
	want := p.Clone()
	mustCreate(t, s, p)

	dup := minimalPool(acctA, regionA)
	dup.ID = p.ID
	wantErr(t, "CreatePool with a taken ID", s.CreatePool(ctx, dup, noLimit), storage.ErrAlreadyExists)
	// Pool IDs are global, as in AWS: another account cannot take one either.
	other := minimalPool(acctB, regionA)
	other.ID = p.ID
	wantErr(t, "CreatePool with an ID taken by another account", s.CreatePool(ctx, other, noLimit), storage.ErrAlreadyExists)

	requirePoolEqual(t, "pool after duplicate creates", mustGet(t, s, acctA, p.ID), want)
	if _, err := s.GetPool(ctx, acctB, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetPool from the account whose create failed: got %v, want ErrNotFound", err)
	}
}

func testUpdatePersists(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullPool(acctA, regionA, nil)
	mustCreate(t, s, p)
	stored := mustGet(t, s, acctA, p.ID)

	var seen, want *storage.Pool
	updatedAt := p.UpdatedAt.Add(36*time.Hour + 5*time.Millisecond)
	got, err := s.UpdatePool(ctx, acctA, p.ID, func(q *storage.Pool) error {
		seen = q.Clone()
		q.Name = "renamed"
		q.AllowUnauthenticated = false
		q.AllowClassicFlow = ptr(false)
		delete(q.SupportedLoginProviders, "graph.facebook.com")
		q.SupportedLoginProviders["www.amazon.com"] = "amzn1.application.0123"
		q.DeveloperProviderName = "login.other.example.com"
		q.OpenIDConnectProviderARNs = nil
		q.CognitoIdentityProviders[0].ServerSideTokenCheck = false
		q.CognitoIdentityProviders = q.CognitoIdentityProviders[:1]
		q.SAMLProviderARNs = []string{}
		q.Tags["added"] = "yes"
		delete(q.Tags, "team")
		q.Roles = map[string]string{"authenticated": "arn:aws:iam::" + acctA + ":role/other"}
		rm := q.RoleMappings["graph.facebook.com"]
		rm.Type = "Rules"
		rm.Rules = []storage.MappingRule{{Claim: "sub", MatchType: "StartsWith", Value: "us-", RoleARN: "arn:aws:iam::" + acctA + ":role/us"}}
		q.RoleMappings["graph.facebook.com"] = rm
		delete(q.PrincipalTagMaps, "cognito-idp."+regionA+".amazonaws.com/"+regionA+"_AbCdEf123")
		q.PrincipalTagMaps["arn:aws:iam::"+acctA+":oidc-provider/server.example.com"].Tags["added"] = "claim"
		q.PrincipalTagMaps["accounts.google.com"] = storage.PrincipalTagMap{UseDefaults: true, Tags: map[string]string{}}
		q.UpdatedAt = updatedAt
		want = q.Clone()
		return nil
	})
	if err != nil {
		t.Fatalf("UpdatePool: %v", err)
	}
	requirePoolEqual(t, "pool passed to fn", seen, stored)
	requirePoolEqual(t, "UpdatePool result", got, want)
	requirePoolEqual(t, "GetPool after UpdatePool", mustGet(t, s, acctA, p.ID), want)

	// AllowClassicFlow can go back to "never set", and a second update sees the first.
	got, err = s.UpdatePool(ctx, acctA, p.ID, func(q *storage.Pool) error {
		if q.Name != "renamed" {
			t.Errorf("second update sees Name %q, want the first update's", q.Name)
		}
		q.AllowClassicFlow = nil
		want = q.Clone()
		return nil
	})
	if err != nil {
		t.Fatalf("second UpdatePool: %v", err)
	}
	requirePoolEqual(t, "second UpdatePool result", got, want)
	requirePoolEqual(t, "GetPool after second UpdatePool", mustGet(t, s, acctA, p.ID), want)
	if !got.UpdatedAt.Truncate(time.Millisecond).Equal(updatedAt.Truncate(time.Millisecond)) {
		t.Errorf("UpdatedAt = %v after an fn that left it alone, want %v kept (the backend does not stamp it)", got.UpdatedAt, updatedAt)
	}
}

var errFromFn = errors.New("storagetest: error from fn")

func testUpdateFnError(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullPool(acctA, regionA, ptr(true))
	want := p.Clone()
	mustCreate(t, s, p)

	fnErr := fmt.Errorf("wrapped by fn: %w", errFromFn)
	_, err := s.UpdatePool(ctx, acctA, p.ID, func(q *storage.Pool) error {
		q.Name = "must not persist"
		q.Tags["must-not"] = "persist"
		q.RoleMappings = nil
		q.UpdatedAt = time.Now()
		return fnErr
	})
	if !errors.Is(err, errFromFn) {
		t.Fatalf("UpdatePool: got error %v, want fn's error", err)
	}
	if err != fnErr {
		t.Errorf("UpdatePool returned %q, want fn's error as is", err)
	}
	requirePoolEqual(t, "GetPool after an aborted update", mustGet(t, s, acctA, p.ID), want)
}

func testUpdateImmutable(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullPool(acctA, regionA, nil)
	mustCreate(t, s, p)

	movedID := newID(regionB)
	updatedAt := p.UpdatedAt.Add(-time.Hour) // earlier than before: stored as fn set it
	got, err := s.UpdatePool(ctx, acctA, p.ID, func(q *storage.Pool) error {
		q.AccountID = acctB
		q.Region = regionB
		q.ID = movedID
		q.CreatedAt = time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC)
		q.UpdatedAt = updatedAt
		q.Name = "changed"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdatePool: %v", err)
	}
	want := p.Clone()
	want.Name = "changed"
	want.UpdatedAt = updatedAt
	requirePoolEqual(t, "UpdatePool result", got, want)
	requirePoolEqual(t, "GetPool after UpdatePool", mustGet(t, s, acctA, p.ID), want)
	if _, err := s.GetPool(ctx, acctB, movedID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetPool of the ID fn tried to move to: got %v, want ErrNotFound", err)
	}
	for _, acct := range []string{acctA, acctB} {
		rows, err := s.ListPools(ctx, acct, regionB, "", 10)
		if err != nil {
			t.Fatalf("ListPools: %v", err)
		}
		if len(rows) != 0 {
			t.Errorf("ListPools(%s, %s) = %v after fn tried to move a pool there, want none", acct, regionB, rows)
		}
	}
}

func testUpdateConcurrent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := minimalPool(acctA, regionA)
	mustCreate(t, s, p)

	const n = 20
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = s.UpdatePool(ctx, acctA, p.ID, func(q *storage.Pool) error {
				if q.Tags == nil {
					q.Tags = map[string]string{}
				}
				q.Tags[fmt.Sprintf("k%02d", i)] = fmt.Sprint(i)
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdatePool %d: %v", i, err)
		}
	}
	got := mustGet(t, s, acctA, p.ID)
	for i := range n {
		if v, ok := got.Tags[fmt.Sprintf("k%02d", i)]; !ok || v != fmt.Sprint(i) {
			t.Errorf("tag k%02d = %q, %v after %d concurrent updates: an update was lost", i, v, ok, n)
		}
	}
	if len(got.Tags) != n {
		t.Errorf("%d tags, want %d: %v", len(got.Tags), n, got.Tags)
	}
}

func testDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	gone, kept := fullPool(acctA, regionA, nil), fullPool(acctA, regionA, ptr(false))
	mustCreate(t, s, gone)
	mustCreate(t, s, kept)

	if err := s.DeletePool(ctx, acctA, gone.ID); err != nil {
		t.Fatalf("DeletePool: %v", err)
	}
	_, err := s.GetPool(ctx, acctA, gone.ID)
	wantErr(t, "GetPool after DeletePool", err, storage.ErrNotFound)
	_, err = s.UpdatePool(ctx, acctA, gone.ID, func(*storage.Pool) error {
		t.Error("UpdatePool of a deleted pool called fn")
		return nil
	})
	wantErr(t, "UpdatePool after DeletePool", err, storage.ErrNotFound)
	wantErr(t, "second DeletePool", s.DeletePool(ctx, acctA, gone.ID), storage.ErrNotFound)

	rows, err := s.ListPools(ctx, acctA, regionA, "", 10)
	if err != nil {
		t.Fatalf("ListPools: %v", err)
	}
	if want := []storage.PoolSummary{{ID: kept.ID, Name: kept.Name}}; !slices.Equal(rows, want) {
		t.Errorf("ListPools after DeletePool = %v, want %v", rows, want)
	}
	requirePoolEqual(t, "the other pool after DeletePool", mustGet(t, s, acctA, kept.ID), kept)
}

func testGetPoolByID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a, b := fullPool(acctA, regionA, ptr(true)), fullPool(acctB, regionB, nil)
	wantA, wantB := a.Clone(), b.Clone()
	mustCreate(t, s, a)
	mustCreate(t, s, b)

	for _, want := range []*storage.Pool{wantA, wantB} {
		got, err := s.GetPoolByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("GetPoolByID(%s) of account %s: %v", want.ID, want.AccountID, err)
		}
		requirePoolEqual(t, "GetPoolByID of account "+want.AccountID, got, want)
		again, err := s.GetPoolByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sh := sharedRefs(again, got); len(sh) > 0 {
			t.Errorf("two GetPoolByID results share %v", sh)
		}
	}
	_, err := s.GetPoolByID(ctx, newID(regionA))
	wantErr(t, "GetPoolByID of unknown ID", err, storage.ErrNotFound)

	// It sees updates and deletes like GetPool does.
	if _, err := s.UpdatePool(ctx, acctA, a.ID, func(q *storage.Pool) error { q.Name = "renamed"; return nil }); err != nil {
		t.Fatalf("UpdatePool: %v", err)
	}
	if got, err := s.GetPoolByID(ctx, a.ID); err != nil || got.Name != "renamed" {
		t.Errorf("GetPoolByID after UpdatePool = %v, %v; want the new name", got, err)
	}
	if err := s.DeletePool(ctx, acctB, b.ID); err != nil {
		t.Fatalf("DeletePool: %v", err)
	}
	_, err = s.GetPoolByID(ctx, b.ID)
	wantErr(t, "GetPoolByID after DeletePool", err, storage.ErrNotFound)
}

// testPrincipalTagMaps round-trips PrincipalTagMaps through create and update in every
// shape: nil, empty, and entries with UseDefaults or Tags that are nil, empty or filled.
func testPrincipalTagMaps(t *testing.T, s storage.Store) {
	ctx := t.Context()
	shapes := map[string]map[string]storage.PrincipalTagMap{
		"nil":   nil,
		"empty": {},
		"filled": {
			"cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123":     {UseDefaults: true},
			"arn:aws:iam::" + acctA + ":oidc-provider/server.example.com": {Tags: map[string]string{"dept": "custom:dept", "ü \"q\"": "sub"}},
			"arn:aws:iam::" + acctA + ":saml-provider/corp":               {Tags: map[string]string{}},
			"accounts.google.com": {UseDefaults: true, Tags: map[string]string{"email": "email"}},
		},
		"UseDefaults only": {"graph.facebook.com": {UseDefaults: true}},
	}
	for name, m := range shapes {
		p := minimalPool(acctA, regionA)
		p.PrincipalTagMaps = m
		want := p.Clone()
		mustCreate(t, s, p)
		requirePoolEqual(t, name+": GetPool", mustGet(t, s, acctA, p.ID), want)

		// Every shape can become every other through UpdatePool.
		for other, m2 := range shapes {
			got, err := s.UpdatePool(ctx, acctA, p.ID, func(q *storage.Pool) error {
				requirePoolEqual(t, name+": pool passed to fn", q, want)
				q.PrincipalTagMaps = (&storage.Pool{PrincipalTagMaps: m2}).Clone().PrincipalTagMaps
				want = q.Clone()
				return nil
			})
			if err != nil {
				t.Fatalf("%s -> %s: UpdatePool: %v", name, other, err)
			}
			requirePoolEqual(t, name+" -> "+other+": UpdatePool result", got, want)
			requirePoolEqual(t, name+" -> "+other+": GetPool", mustGet(t, s, acctA, p.ID), want)
		}
	}
}

// createListed creates n pools with random IDs in account+region and returns their
// summaries sorted by ID.
func createListed(t *testing.T, s storage.Store, account, region string, n int) []storage.PoolSummary {
	t.Helper()
	out := make([]storage.PoolSummary, 0, n)
	for i := range n {
		p := minimalPool(account, region)
		p.Name = fmt.Sprintf("pool %s %s %d", account, region, i)
		mustCreate(t, s, p)
		out = append(out, storage.PoolSummary{ID: p.ID, Name: p.Name})
	}
	sortSummaries(out)
	return out
}

func sortSummaries(s []storage.PoolSummary) {
	slices.SortFunc(s, func(a, b storage.PoolSummary) int { return strings.Compare(a.ID, b.ID) })
}

// listAll pages through account+region with pages of size, checking that every page but
// the last is full, and returns the rows in the order received.
func listAll(t *testing.T, s storage.Store, account, region string, size int) []storage.PoolSummary {
	t.Helper()
	var all []storage.PoolSummary
	after := ""
	for range 10_000 {
		page, err := s.ListPools(t.Context(), account, region, after, size)
		if err != nil {
			t.Fatalf("ListPools(after %q, limit %d): %v", after, size, err)
		}
		if len(page) > size {
			t.Fatalf("ListPools(limit %d) returned %d rows", size, len(page))
		}
		all = append(all, page...)
		if len(page) < size {
			return all
		}
		after = page[len(page)-1].ID
	}
	t.Fatalf("ListPools never returned a short page")
	return nil
}

func testListPaging(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := createListed(t, s, acctA, regionA, 23)
	// IDs that sort differently under byte order and under a linguistic collation (which
	// ignores '-' and folds case), and one beyond ASCII. The order is Go's string order.
	for _, suffix := range []string{"a-c", "ab", "a_b", "aB", "AB", "a b", "z", "zé", "ä"} {
		p := minimalPool(acctA, regionA)
		p.ID = regionA + ":" + suffix
		p.Name = "crafted " + suffix
		mustCreate(t, s, p)
		want = append(want, storage.PoolSummary{ID: p.ID, Name: p.Name})
	}
	sortSummaries(want)
	// Neighbours in the other dimensions of the scope.
	wantB := createListed(t, s, acctB, regionA, 4)
	wantR := createListed(t, s, acctA, regionB, 3)

	all, err := s.ListPools(ctx, acctA, regionA, "", len(want)+10)
	if err != nil {
		t.Fatalf("ListPools: %v", err)
	}
	if !slices.Equal(all, want) {
		t.Errorf("ListPools in one page:\n got  %v\n want %v (every pool of the account and region, by ID in byte order)", all, want)
	}

	for _, size := range []int{1, 2, 3, 5, 7, 10, len(want) - 1, len(want), len(want) + 1, 1000} {
		if got := listAll(t, s, acctA, regionA, size); !slices.Equal(got, want) {
			t.Errorf("paging with limit %d:\n got  %v\n want %v", size, got, want)
		}
	}

	for _, sc := range []struct {
		account, region string
		want            []storage.PoolSummary
	}{
		{acctB, regionA, wantB},
		{acctA, regionB, wantR},
		{acctC, regionA, nil},
		{acctA, "ap-south-1", nil},
	} {
		if got := listAll(t, s, sc.account, sc.region, 2); !slices.Equal(got, sc.want) {
			t.Errorf("ListPools(%s, %s) = %v, want %v", sc.account, sc.region, got, sc.want)
		}
	}

	// afterID need not be an existing pool: it is a position in the order.
	mid := want[10].ID + "\x00"
	got, err := s.ListPools(ctx, acctA, regionA, mid, 3)
	if err != nil {
		t.Fatalf("ListPools: %v", err)
	}
	if !slices.Equal(got, want[11:14]) {
		t.Errorf("ListPools(after %q, 3) = %v, want %v", mid, got, want[11:14])
	}
	got, err = s.ListPools(ctx, acctA, regionA, want[len(want)-1].ID, 5)
	if err != nil {
		t.Fatalf("ListPools: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("ListPools after the last ID = %v, want none", got)
	}
}

// testListUnderModification pages through a listing while pools are created and deleted
// between pages and checks every page against a model: each page must be the first
// `size` live pools whose ID sorts after the cursor.
func testListUnderModification(t *testing.T, s storage.Store) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[string]string{} // ID -> name
	for _, r := range createListed(t, s, acctA, regionA, 30) {
		live[r.ID] = r.Name
	}
	deleted := map[string]bool{}
	seen := map[string]bool{}
	expect := func(after string, size int) []storage.PoolSummary {
		var out []storage.PoolSummary
		for id, name := range live {
			if id > after {
				out = append(out, storage.PoolSummary{ID: id, Name: name})
			}
		}
		sortSummaries(out)
		return out[:min(size, len(out))]
	}
	create := func(id string) {
		p := minimalPool(acctA, regionA)
		p.ID = id
		p.Name = "created while paging"
		mustCreate(t, s, p)
		live[id] = p.Name
	}

	after := ""
	for step := 0; ; step++ {
		size := 1 + rng.IntN(5)
		page, err := s.ListPools(ctx, acctA, regionA, after, size)
		if err != nil {
			t.Fatalf("ListPools: %v", err)
		}
		if want := expect(after, size); !slices.Equal(page, want) {
			t.Fatalf("page %d (after %q, limit %d):\n got  %v\n want %v", step, after, size, page, want)
		}
		for _, r := range page {
			if seen[r.ID] {
				t.Errorf("pool %s listed twice", r.ID)
			}
			if deleted[r.ID] {
				t.Errorf("deleted pool %s listed", r.ID)
			}
			seen[r.ID] = true
		}
		if len(page) < size {
			break
		}
		after = page[len(page)-1].ID

		// Between pages: create one pool ahead of the cursor (it must show up later) and one
		// behind it (it must not), delete one not yet listed, and sometimes the cursor's own
		// pool, which must not disturb the next page.
		create(after + "-" + guid())
		create(newID(regionA)) // lands on either side of the cursor; the model knows which
		if step%3 == 0 {
			delete(live, after)
			deleted[after] = true
			if err := s.DeletePool(ctx, acctA, after); err != nil {
				t.Fatalf("DeletePool(cursor): %v", err)
			}
		}
		if ahead := expect(after, 100); len(ahead) > 2 {
			victim := ahead[1+rng.IntN(len(ahead)-1)].ID
			delete(live, victim)
			deleted[victim] = true
			if err := s.DeletePool(ctx, acctA, victim); err != nil {
				t.Fatalf("DeletePool: %v", err)
			}
		}
		if step > 100 {
			t.Fatal("listing does not end")
		}
	}
}

func testQuota(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const limit = 3
	var created []*storage.Pool
	for range limit {
		p := minimalPool(acctA, regionA)
		if err := s.CreatePool(ctx, p, limit); err != nil {
			t.Fatalf("CreatePool within the quota: %v", err)
		}
		created = append(created, p)
	}
	over := minimalPool(acctA, regionA)
	wantErr(t, "CreatePool over the quota", s.CreatePool(ctx, over, limit), storage.ErrLimitExceeded)
	if _, err := s.GetPool(ctx, acctA, over.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetPool of the rejected pool: got %v, want ErrNotFound", err)
	}

	// The quota is per account and per region.
	if err := s.CreatePool(ctx, minimalPool(acctA, regionB), limit); err != nil {
		t.Errorf("CreatePool in another region: %v", err)
	}
	if err := s.CreatePool(ctx, minimalPool(acctB, regionA), limit); err != nil {
		t.Errorf("CreatePool in another account: %v", err)
	}

	// Deleting frees a slot, exactly one.
	if err := s.DeletePool(ctx, acctA, created[1].ID); err != nil {
		t.Fatalf("DeletePool: %v", err)
	}
	if err := s.CreatePool(ctx, minimalPool(acctA, regionA), limit); err != nil {
		t.Errorf("CreatePool after a delete freed a slot: %v", err)
	}
	wantErr(t, "CreatePool over the quota again", s.CreatePool(ctx, minimalPool(acctA, regionA), limit), storage.ErrLimitExceeded)

	rows, err := s.ListPools(ctx, acctA, regionA, "", 100)
	if err != nil {
		t.Fatalf("ListPools: %v", err)
	}
	if len(rows) != limit {
		t.Errorf("%d pools in account and region, want %d", len(rows), limit)
	}
}

func testQuotaConcurrent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const limit, tries, others = 5, 16, 4
	start := make(chan struct{})
	errs := make([]error, tries)
	otherErrs := make([]error, others)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			<-start
			errs[i] = s.CreatePool(ctx, minimalPool(acctA, regionA), limit)
		})
	}
	// Creates in another account race with them and are unaffected.
	for i := range others {
		wg.Go(func() {
			<-start
			otherErrs[i] = s.CreatePool(ctx, minimalPool(acctB, regionA), limit)
		})
	}
	close(start)
	wg.Wait()

	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, storage.ErrLimitExceeded):
			t.Errorf("concurrent CreatePool: got %v, want nil or ErrLimitExceeded", err)
		}
	}
	if ok != limit {
		t.Errorf("%d of %d concurrent creates succeeded with a quota of %d", ok, tries, limit)
	}
	for _, err := range otherErrs {
		if err != nil {
			t.Errorf("CreatePool in another account during the race: %v", err)
		}
	}
	if rows := listAll(t, s, acctA, regionA, 100); len(rows) != limit {
		t.Errorf("%d pools stored, want %d", len(rows), limit)
	}
}

func testPing(t *testing.T, s storage.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// Ping does not disturb the data path.
	p := minimalPool(acctA, regionA)
	mustCreate(t, s, p)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after a write: %v", err)
	}
}

func testClose(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := minimalPool(acctA, regionA)
	mustCreate(t, s, p)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if _, err := s.GetPool(ctx, acctA, p.ID); err == nil {
		t.Error("GetPool after Close succeeded")
	}
	if err := s.CreatePool(ctx, minimalPool(acctA, regionA), noLimit); err == nil {
		t.Error("CreatePool after Close succeeded")
	}
	if _, err := s.UpdatePool(ctx, acctA, p.ID, func(*storage.Pool) error { return nil }); err == nil {
		t.Error("UpdatePool after Close succeeded")
	}
	if err := s.DeletePool(ctx, acctA, p.ID); err == nil {
		t.Error("DeletePool after Close succeeded")
	}
	if _, err := s.ListPools(ctx, acctA, regionA, "", 10); err == nil {
		t.Error("ListPools after Close succeeded")
	}
	if _, err := s.GetPoolByID(ctx, p.ID); err == nil {
		t.Error("GetPoolByID after Close succeeded")
	}
	if _, err := s.GetIdentity(ctx, newID(regionA)); err == nil {
		t.Error("GetIdentity after Close succeeded")
	}
	if _, err := s.FindLogin(ctx, p.ID, "login.example.com", "u"); err == nil {
		t.Error("FindLogin after Close succeeded")
	}
	if _, err := s.ListIdentities(ctx, p.ID, "", 10, false); err == nil {
		t.Error("ListIdentities after Close succeeded")
	}
	if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		return tx.Put(ctx, newIdentity(p.ID))
	}); err == nil {
		t.Error("UpdateIdentities after Close succeeded")
	}
	if _, err := s.GetKeys(ctx); err == nil {
		t.Error("GetKeys after Close succeeded")
	}
	if _, err := s.UpdateKeys(ctx, func(*storage.Keys) (*storage.Keys, error) { return fullKeys(), nil }); err == nil {
		t.Error("UpdateKeys after Close succeeded")
	}
	prov := minimalProvider(acctA, storage.ProviderOIDC)
	if err := s.CreateProvider(ctx, prov); err == nil {
		t.Error("CreateProvider after Close succeeded")
	}
	if _, err := s.GetProvider(ctx, acctA, prov.ARN); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetProvider after Close = %v, want a failure that is not ErrNotFound", err)
	}
	if _, err := s.ListProviders(ctx, acctA, storage.ProviderOIDC); err == nil {
		t.Error("ListProviders after Close succeeded")
	}
	if _, err := s.UpdateProvider(ctx, acctA, prov.ARN, func(*storage.IAMProvider) error { return nil }); err == nil {
		t.Error("UpdateProvider after Close succeeded")
	}
	if err := s.DeleteProvider(ctx, acctA, prov.ARN); err == nil {
		t.Error("DeleteProvider after Close succeeded")
	}
}
