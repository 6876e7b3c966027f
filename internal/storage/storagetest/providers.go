package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// oidcARN and samlARN build provider ARNs as package iam does. A random suffix keeps the
// subtests' providers apart and their order independent of creation order.
func oidcARN(account, hostPath string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + hostPath
}

func samlARN(account, name string) string {
	return "arn:aws:iam::" + account + ":saml-provider/" + name
}

// fullProvider returns a provider with every field set, whatever its kind: storage does
// not interpret the kind, so a backend must persist every field for both. Strings carry
// quotes, backslashes, LIKE wildcards and non-ASCII text; the times have a non-UTC zone
// and nanoseconds.
func fullProvider(account, kind string) *storage.IAMProvider {
	zone := time.FixedZone("UTC+3", 3*60*60)
	created := time.Date(2024, 7, 1, 9, 8, 7, 654321987, zone)
	id := guid()
	arn := oidcARN(account, "idp-"+id+".example.com/realms/\"ü\" %_")
	if kind == storage.ProviderSAML {
		arn = samlARN(account, "corp_"+id)
	}
	return &storage.IAMProvider{
		AccountID:    account,
		ARN:          arn,
		Kind:         kind,
		URL:          "https://idp-" + id + ".example.com/realms/\"ü\" %_",
		ClientIDs:    []string{"app-1", `client "two" \ %_`, "ключ"},
		Thumbprints:  []string{"990f4193972f2becf12ddeda5237f9c952f20d9e", "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280"},
		SAMLMetadata: `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/ü" validUntil="2030-01-02T03:04:05Z"><!-- "q" \ --></md:EntityDescriptor>`,
		ValidUntil:   time.Date(2030, 1, 2, 3, 4, 5, 678901234, zone),
		Tags:         map[string]string{"team": "identity", "empty-value": "", "ключ": "значение"},
		CreatedAt:    created,
		UpdatedAt:    created.Add(2*time.Hour + 123456789),
	}
}

// minimalProvider has every optional field at its zero value: nil slices and map, empty
// strings, zero ValidUntil.
func minimalProvider(account, kind string) *storage.IAMProvider {
	now := time.Now() // with a monotonic reading, which backends must cope with
	arn := oidcARN(account, "minimal-"+guid()+".example.com")
	if kind == storage.ProviderSAML {
		arn = samlARN(account, "minimal-"+guid())
	}
	return &storage.IAMProvider{AccountID: account, ARN: arn, Kind: kind, CreatedAt: now, UpdatedAt: now}
}

// emptyCollectionsProvider has empty but non-nil slices and map, which must not come back
// as nil (nor nil ones as empty).
func emptyCollectionsProvider(account, kind string) *storage.IAMProvider {
	p := minimalProvider(account, kind)
	p.ClientIDs = []string{}
	p.Thumbprints = []string{}
	p.Tags = map[string]string{}
	return p
}

func mustCreateProvider(t *testing.T, s storage.Store, p *storage.IAMProvider) {
	t.Helper()
	if err := s.CreateProvider(t.Context(), p); err != nil {
		t.Fatalf("CreateProvider(%s): %v", p.ARN, err)
	}
}

func mustGetProvider(t *testing.T, s storage.Store, accountID, arn string) *storage.IAMProvider {
	t.Helper()
	p, err := s.GetProvider(t.Context(), accountID, arn)
	if err != nil {
		t.Fatalf("GetProvider(%s, %s): %v", accountID, arn, err)
	}
	return p
}

func mustListProviders(t *testing.T, s storage.Store, accountID, kind string) []*storage.IAMProvider {
	t.Helper()
	ps, err := s.ListProviders(t.Context(), accountID, kind)
	if err != nil {
		t.Fatalf("ListProviders(%s, %s): %v", accountID, kind, err)
	}
	return ps
}

func providerARNs(ps []*storage.IAMProvider) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ARN)
	}
	return out
}

func testProviderRoundTrip(t *testing.T, s storage.Store) {
	if unset := unsetFields(fullProvider(acctA, storage.ProviderOIDC)); len(unset) > 0 {
		t.Fatalf("storagetest: fullProvider leaves %v unset; give every field a non-zero value so backends must persist it", unset)
	}
	for name, p := range map[string]*storage.IAMProvider{
		"full OIDC":         fullProvider(acctA, storage.ProviderOIDC),
		"full SAML":         fullProvider(acctA, storage.ProviderSAML),
		"all optional zero": minimalProvider(acctA, storage.ProviderOIDC),
		"empty collections": emptyCollectionsProvider(acctA, storage.ProviderSAML),
	} {
		want := p.Clone()
		if err := s.CreateProvider(t.Context(), p); err != nil {
			t.Fatalf("%s: CreateProvider: %v", name, err)
		}
		requireEqual(t, name+": CreateProvider's argument after the call", p, want)
		got := mustGetProvider(t, s, acctA, p.ARN)
		requireEqual(t, name+": GetProvider", got, want)
		for field, tm := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt, "ValidUntil": got.ValidUntil} {
			if tm.Location() != time.UTC {
				t.Errorf("%s: %s in %v, want UTC", name, field, tm.Location())
			}
		}
		if want.ValidUntil.IsZero() && !got.ValidUntil.IsZero() {
			t.Errorf("%s: zero ValidUntil came back as %v", name, got.ValidUntil)
		}
		if sh := sharedRefs(got, p); len(sh) > 0 {
			t.Errorf("%s: GetProvider result shares %v with the provider passed to CreateProvider", name, sh)
		}

		// Neither the caller's record nor a returned one is tied to what is stored.
		if p.ClientIDs != nil {
			p.ClientIDs = append(p.ClientIDs[:0], "mutated-after-create")
		}
		if p.Tags != nil {
			p.Tags["mutated-after-create"] = "x"
		}
		p.URL = "mutated after create"
		if len(got.Thumbprints) > 0 {
			got.Thumbprints[0] = "mutated-after-get"
		}
		if got.Tags != nil {
			got.Tags["mutated-after-get"] = "x"
		}
		got.SAMLMetadata = "mutated after get"
		again := mustGetProvider(t, s, acctA, want.ARN)
		requireEqual(t, name+": GetProvider after mutating earlier results", again, want)
		if sh := sharedRefs(again, got); len(sh) > 0 {
			t.Errorf("%s: two GetProvider results share %v", name, sh)
		}
	}
}

func testProviderNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullProvider(acctA, storage.ProviderOIDC)
	want := p.Clone()
	mustCreateProvider(t, s, p)

	_, err := s.GetProvider(ctx, acctB, p.ARN)
	wantErr(t, "GetProvider from another account", err, storage.ErrNotFound)
	_, err = s.UpdateProvider(ctx, acctB, p.ARN, func(q *storage.IAMProvider) error {
		t.Error("UpdateProvider from another account called fn")
		q.ClientIDs = append(q.ClientIDs, "hijacked")
		return nil
	})
	wantErr(t, "UpdateProvider from another account", err, storage.ErrNotFound)
	wantErr(t, "DeleteProvider from another account", s.DeleteProvider(ctx, acctB, p.ARN), storage.ErrNotFound)
	if got := mustListProviders(t, s, acctB, storage.ProviderOIDC); len(got) != 0 {
		t.Errorf("ListProviders of another account = %v, want none", providerARNs(got))
	}
	requireEqual(t, "provider after another account's attempts", mustGetProvider(t, s, acctA, p.ARN), want)

	unknown := oidcARN(acctA, "unknown-"+guid()+".example.com")
	_, err = s.GetProvider(ctx, acctA, unknown)
	wantErr(t, "GetProvider of an unknown ARN", err, storage.ErrNotFound)
	_, err = s.UpdateProvider(ctx, acctA, unknown, func(*storage.IAMProvider) error {
		t.Error("UpdateProvider of an unknown ARN called fn")
		return nil
	})
	wantErr(t, "UpdateProvider of an unknown ARN", err, storage.ErrNotFound)
	wantErr(t, "DeleteProvider of an unknown ARN", s.DeleteProvider(ctx, acctA, unknown), storage.ErrNotFound)
	// An ARN differing only in case is another ARN.
	_, err = s.GetProvider(ctx, acctA, strings.ToUpper(p.ARN))
	wantErr(t, "GetProvider of the ARN in upper case", err, storage.ErrNotFound)
}

func testProviderDuplicateARN(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullProvider(acctA, storage.ProviderOIDC)
	want := p.Clone()
	mustCreateProvider(t, s, p)

	dup := minimalProvider(acctA, storage.ProviderOIDC)
	dup.ARN = p.ARN
	wantErr(t, "CreateProvider with a taken ARN", s.CreateProvider(ctx, dup), storage.ErrAlreadyExists)
	// Another kind under the same ARN is still a taken ARN.
	dup.Kind = storage.ProviderSAML
	wantErr(t, "CreateProvider of another kind with a taken ARN", s.CreateProvider(ctx, dup), storage.ErrAlreadyExists)
	// ARNs are global, like pool IDs: another account cannot take one either.
	other := minimalProvider(acctB, storage.ProviderOIDC)
	other.ARN = p.ARN
	wantErr(t, "CreateProvider with an ARN taken by another account", s.CreateProvider(ctx, other), storage.ErrAlreadyExists)

	requireEqual(t, "provider after duplicate creates", mustGetProvider(t, s, acctA, p.ARN), want)
	if _, err := s.GetProvider(ctx, acctB, p.ARN); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetProvider from the account whose create failed: got %v, want ErrNotFound", err)
	}
	if got := mustListProviders(t, s, acctA, storage.ProviderSAML); len(got) != 0 {
		t.Errorf("ListProviders(saml) after the failed creates = %v, want none", providerARNs(got))
	}
}

func testProviderList(t *testing.T, s storage.Store) {
	var wantOIDC, wantSAML []*storage.IAMProvider
	for i := range 5 {
		p := fullProvider(acctA, storage.ProviderOIDC)
		if i%2 == 1 {
			p = minimalProvider(acctA, storage.ProviderOIDC)
		}
		wantOIDC = append(wantOIDC, p.Clone())
		mustCreateProvider(t, s, p)
	}
	// ARNs that sort differently in byte order and under a linguistic collation (which
	// ignores '-' and folds case), and one beyond ASCII.
	for _, suffix := range []string{"a-c", "ab", "a_b", "aB", "AB", "z", "zé", "ä"} {
		p := minimalProvider(acctA, storage.ProviderOIDC)
		p.ARN = oidcARN(acctA, suffix)
		wantOIDC = append(wantOIDC, p.Clone())
		mustCreateProvider(t, s, p)
	}
	for range 4 {
		p := fullProvider(acctA, storage.ProviderSAML)
		wantSAML = append(wantSAML, p.Clone())
		mustCreateProvider(t, s, p)
	}
	byARN := func(a, b *storage.IAMProvider) int { return strings.Compare(a.ARN, b.ARN) }
	slices.SortFunc(wantOIDC, byARN)
	slices.SortFunc(wantSAML, byARN)
	// Neighbours: the same kinds in another account.
	wantB := []*storage.IAMProvider{minimalProvider(acctB, storage.ProviderOIDC)}
	mustCreateProvider(t, s, wantB[0].Clone())

	for _, c := range []struct {
		account, kind string
		want          []*storage.IAMProvider
	}{
		{acctA, storage.ProviderOIDC, wantOIDC},
		{acctA, storage.ProviderSAML, wantSAML},
		{acctB, storage.ProviderOIDC, wantB},
		{acctB, storage.ProviderSAML, nil},
		{acctC, storage.ProviderOIDC, nil},
		{acctA, "other-kind", nil},
	} {
		what := fmt.Sprintf("ListProviders(%s, %s)", c.account, c.kind)
		got := mustListProviders(t, s, c.account, c.kind)
		if !slices.Equal(providerARNs(got), providerARNs(c.want)) {
			t.Errorf("%s:\n got  %q\n want %q (the account's providers of that kind, by ARN in byte order)", what, providerARNs(got), providerARNs(c.want))
			continue
		}
		for i := range got {
			requireEqual(t, fmt.Sprintf("%s[%d]", what, i), got[i], c.want[i])
		}
		// Each listed record is the caller's own.
		for i := 1; i < len(got); i++ {
			if sh := sharedRefs(got[i], got[i-1]); len(sh) > 0 {
				t.Errorf("%s: records %d and %d share %v", what, i-1, i, sh)
			}
		}
		if len(got) > 0 {
			if got[0].Tags != nil {
				got[0].Tags["mutated"] = "x"
			}
			requireEqual(t, what+": GetProvider after mutating a listed record", mustGetProvider(t, s, c.account, c.want[0].ARN), c.want[0])
		}
	}
}

func testProviderUpdatePersists(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullProvider(acctA, storage.ProviderOIDC)
	mustCreateProvider(t, s, p)
	stored := mustGetProvider(t, s, acctA, p.ARN)

	var seen, want *storage.IAMProvider
	updatedAt := p.UpdatedAt.Add(48*time.Hour + 7*time.Millisecond)
	got, err := s.UpdateProvider(ctx, acctA, p.ARN, func(q *storage.IAMProvider) error {
		seen = q.Clone()
		q.URL = "http://127.0.0.1:9000/realms/demo"
		q.ClientIDs = append(q.ClientIDs, "added")
		q.Thumbprints = nil
		q.SAMLMetadata = ""
		q.ValidUntil = time.Time{}
		delete(q.Tags, "team")
		q.Tags["added"] = "yes"
		q.UpdatedAt = updatedAt
		want = q.Clone()
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateProvider: %v", err)
	}
	requireEqual(t, "provider passed to fn", seen, stored)
	requireEqual(t, "UpdateProvider result", got, want)
	requireEqual(t, "GetProvider after UpdateProvider", mustGetProvider(t, s, acctA, p.ARN), want)
	if !got.ValidUntil.IsZero() {
		t.Errorf("ValidUntil set to zero came back as %v", got.ValidUntil)
	}

	// A second update sees the first; nil and empty swap places.
	got, err = s.UpdateProvider(ctx, acctA, p.ARN, func(q *storage.IAMProvider) error {
		requireEqual(t, "provider passed to the second fn", q, want)
		q.ClientIDs = nil
		q.Thumbprints = []string{}
		q.Tags = nil
		want = q.Clone()
		return nil
	})
	if err != nil {
		t.Fatalf("second UpdateProvider: %v", err)
	}
	requireEqual(t, "second UpdateProvider result", got, want)
	requireEqual(t, "GetProvider after the second UpdateProvider", mustGetProvider(t, s, acctA, p.ARN), want)
	if !got.UpdatedAt.Truncate(time.Millisecond).Equal(updatedAt.Truncate(time.Millisecond)) {
		t.Errorf("UpdatedAt = %v after an fn that left it alone, want %v kept (the backend does not stamp it)", got.UpdatedAt, updatedAt)
	}
	if sh := sharedRefs(got, want); len(sh) > 0 {
		t.Errorf("UpdateProvider result shares %v with fn's record", sh)
	}
}

func testProviderUpdateFnError(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullProvider(acctA, storage.ProviderSAML)
	want := p.Clone()
	mustCreateProvider(t, s, p)

	fnErr := fmt.Errorf("wrapped by fn: %w", errFromFn)
	got, err := s.UpdateProvider(ctx, acctA, p.ARN, func(q *storage.IAMProvider) error {
		q.SAMLMetadata = "must not persist"
		q.Tags["must-not"] = "persist"
		q.ClientIDs = nil
		q.UpdatedAt = time.Now()
		return fnErr
	})
	if err != fnErr {
		t.Errorf("UpdateProvider: got error %v, want fn's error as is", err)
	}
	if got != nil {
		t.Errorf("UpdateProvider returned %+v with an error", got)
	}
	requireEqual(t, "GetProvider after an aborted update", mustGetProvider(t, s, acctA, p.ARN), want)
}

func testProviderUpdateImmutable(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := fullProvider(acctA, storage.ProviderOIDC)
	mustCreateProvider(t, s, p)

	movedARN := samlARN(acctB, "moved-"+guid())
	updatedAt := p.UpdatedAt.Add(-time.Hour) // earlier than before: stored as fn set it
	got, err := s.UpdateProvider(ctx, acctA, p.ARN, func(q *storage.IAMProvider) error {
		q.AccountID = acctB
		q.ARN = movedARN
		q.Kind = storage.ProviderSAML
		q.CreatedAt = time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC)
		q.UpdatedAt = updatedAt
		q.URL = "https://changed.example.com"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateProvider: %v", err)
	}
	want := p.Clone()
	want.URL = "https://changed.example.com"
	want.UpdatedAt = updatedAt
	requireEqual(t, "UpdateProvider result", got, want)
	requireEqual(t, "GetProvider after UpdateProvider", mustGetProvider(t, s, acctA, p.ARN), want)
	for _, acct := range []string{acctA, acctB} {
		if _, err := s.GetProvider(ctx, acct, movedARN); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetProvider(%s) of the ARN fn tried to move to: got %v, want ErrNotFound", acct, err)
		}
		if got := mustListProviders(t, s, acct, storage.ProviderSAML); len(got) != 0 {
			t.Errorf("ListProviders(%s, saml) = %v after fn tried to change the kind, want none", acct, providerARNs(got))
		}
	}
	if got := providerARNs(mustListProviders(t, s, acctA, storage.ProviderOIDC)); !slices.Equal(got, []string{p.ARN}) {
		t.Errorf("ListProviders(oidc) = %q, want the provider under its own kind", got)
	}
}

func testProviderUpdateConcurrent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := minimalProvider(acctA, storage.ProviderOIDC)
	mustCreateProvider(t, s, p)

	const n = 20
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = s.UpdateProvider(ctx, acctA, p.ARN, func(q *storage.IAMProvider) error {
				q.ClientIDs = append(q.ClientIDs, fmt.Sprintf("client-%02d", i))
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdateProvider %d: %v", i, err)
		}
	}
	got := mustGetProvider(t, s, acctA, p.ARN)
	for i := range n {
		if !slices.Contains(got.ClientIDs, fmt.Sprintf("client-%02d", i)) {
			t.Errorf("client-%02d missing after %d concurrent updates: an update was lost", i, n)
		}
	}
	if len(got.ClientIDs) != n {
		t.Errorf("%d client IDs, want %d: %v", len(got.ClientIDs), n, got.ClientIDs)
	}
}

func testProviderDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	gone, kept := fullProvider(acctA, storage.ProviderSAML), fullProvider(acctA, storage.ProviderSAML)
	mustCreateProvider(t, s, gone)
	mustCreateProvider(t, s, kept)

	if err := s.DeleteProvider(ctx, acctA, gone.ARN); err != nil {
		t.Fatalf("DeleteProvider: %v", err)
	}
	_, err := s.GetProvider(ctx, acctA, gone.ARN)
	wantErr(t, "GetProvider after DeleteProvider", err, storage.ErrNotFound)
	_, err = s.UpdateProvider(ctx, acctA, gone.ARN, func(*storage.IAMProvider) error {
		t.Error("UpdateProvider of a deleted provider called fn")
		return nil
	})
	wantErr(t, "UpdateProvider after DeleteProvider", err, storage.ErrNotFound)
	wantErr(t, "second DeleteProvider", s.DeleteProvider(ctx, acctA, gone.ARN), storage.ErrNotFound)
	if got := providerARNs(mustListProviders(t, s, acctA, storage.ProviderSAML)); !slices.Equal(got, []string{kept.ARN}) {
		t.Errorf("ListProviders after DeleteProvider = %q, want only %s", got, kept.ARN)
	}
	requireEqual(t, "the other provider after DeleteProvider", mustGetProvider(t, s, acctA, kept.ARN), kept)

	// The ARN is free again, for any kind.
	again := minimalProvider(acctA, storage.ProviderOIDC)
	again.ARN = gone.ARN
	if err := s.CreateProvider(ctx, again); err != nil {
		t.Errorf("CreateProvider with a deleted provider's ARN: %v", err)
	}
}
