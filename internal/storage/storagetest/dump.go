package storagetest

import (
	"context"
	"errors"
	"iter"
	"slices"
	"testing"

	"github.com/idpool/idpool/internal/storage"
)

// populate fills s with records of every kind and returns them in export order.
func populate(t *testing.T, s storage.Store) []storage.Record {
	t.Helper()
	ctx := t.Context()
	var want []storage.Record

	keys := mustSetKeys(t, s, fullKeys())
	want = append(want, storage.Record{Keys: keys})

	roles := []*storage.Role{fullRole(acctA, "Alpha"), fullRole(acctA, "beta"), fullRole(acctB, "Alpha")}
	roles[1].Tags = nil
	for _, r := range roles {
		mustCreateRole(t, s, r)
	}

	providers := []*storage.IAMProvider{
		fullProvider(acctA, storage.ProviderOIDC), minimalProvider(acctA, storage.ProviderSAML),
		emptyCollectionsProvider(acctB, storage.ProviderOIDC),
	}
	for _, p := range providers {
		mustCreateProvider(t, s, p)
	}

	pools := []*storage.Pool{fullPool(acctA, regionA, ptr(true)), minimalPool(acctA, regionB), emptyCollectionsPool(acctB, regionA)}
	var identities [][]*storage.Identity
	for n, p := range pools {
		mustCreate(t, s, p)
		ids := []*storage.Identity{
			newIdentity(p.ID, loginOf("graph.facebook.com", "fb-"+guid()), loginOf("accounts.google.com", "g-"+guid())),
			newIdentity(p.ID),
		}
		if n == 0 {
			empty := newIdentity(p.ID)
			empty.Logins = []storage.Login{}
			disabled := newIdentity(p.ID)
			disabled.Disabled = true
			ids = append(ids, empty, disabled)
		}
		mustPut(t, s, ids...)
		identities = append(identities, ids)
	}

	// Read everything back, so that the expectation is what the store holds, in the
	// documented order: roles and providers as their lists order them, pools by ID,
	// identities by ID within their pool.
	for _, acct := range []string{acctA, acctB} {
		rs, err := s.ListRoles(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			want = append(want, storage.Record{Role: r})
		}
	}
	for _, acct := range []string{acctA, acctB} {
		for _, kind := range []string{storage.ProviderOIDC, storage.ProviderSAML} {
			for _, p := range mustListProviders(t, s, acct, kind) {
				want = append(want, storage.Record{Provider: p})
			}
		}
	}
	for _, p := range pools {
		want = append(want, storage.Record{Pool: mustGet(t, s, p.AccountID, p.ID)})
		for _, id := range listAllIdentities(t, s, p.ID, 100, false) {
			want = append(want, storage.Record{Identity: id})
		}
	}
	return want
}

func exportAll(t *testing.T, s storage.Store) []storage.Record {
	t.Helper()
	var got []storage.Record
	if err := s.Export(t.Context(), func(r storage.Record) error {
		if r.Kind() == "" {
			t.Errorf("Export gave a record with %d fields set: %+v", 0, r)
		}
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return got
}

var kindRank = map[string]int{"keys": 0, "role": 1, "provider": 2, "pool": 3, "identity": 3}

// checkOrder checks the documented export order: keys, roles, providers, pools each
// followed by its identities.
func checkOrder(t *testing.T, recs []storage.Record) {
	t.Helper()
	pool := ""
	for i, r := range recs {
		if i > 0 && kindRank[r.Kind()] < kindRank[recs[i-1].Kind()] {
			t.Errorf("record %d is a %s after a %s", i, r.Kind(), recs[i-1].Kind())
		}
		switch {
		case r.Pool != nil:
			pool = r.Pool.ID
		case r.Identity != nil && r.Identity.PoolID != pool:
			t.Errorf("record %d: identity %s of pool %s follows pool %q", i, r.Identity.ID, r.Identity.PoolID, pool)
		}
	}
}

// sortForCompare orders records by kind and key, so that two exports can be compared
// whatever order each backend lists roles, providers and pools in across accounts.
func sortForCompare(recs []storage.Record) []storage.Record {
	key := func(r storage.Record) string {
		switch {
		case r.Role != nil:
			return r.Role.ARN
		case r.Provider != nil:
			return r.Provider.ARN
		case r.Pool != nil:
			return r.Pool.ID
		case r.Identity != nil:
			return r.Identity.PoolID + "/" + r.Identity.ID
		}
		return ""
	}
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b storage.Record) int {
		ka, kb := a.Kind(), b.Kind()
		if ka != kb {
			return cmpString(ka, kb)
		}
		return cmpString(key(a), key(b))
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func records(recs ...storage.Record) iter.Seq2[storage.Record, error] {
	return func(yield func(storage.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func sliceSeq(recs []storage.Record) iter.Seq2[storage.Record, error] { return records(recs...) }

func testDumpRoundTrip(t *testing.T, open func(*testing.T) storage.Store) {
	src, dst := open(t), open(t)
	want := populate(t, src)
	got := exportAll(t, src)
	checkOrder(t, got)
	requireEqual(t, "exported records", sortForCompare(got), sortForCompare(want))

	if err := dst.Import(t.Context(), sliceSeq(got)); err != nil {
		t.Fatalf("Import: %v", err)
	}
	again := exportAll(t, dst)
	requireEqual(t, "records exported after Import", sortForCompare(again), sortForCompare(want))

	// The imported store serves them through its ordinary reads, indexes included.
	for _, r := range want {
		switch {
		case r.Pool != nil:
			requirePoolEqual(t, "imported pool", mustGet(t, dst, r.Pool.AccountID, r.Pool.ID), r.Pool)
		case r.Identity != nil:
			requireEqual(t, "imported identity", mustGetIdentity(t, dst, r.Identity.ID), r.Identity)
			for _, l := range r.Identity.Logins {
				wantOwner(t, dst, r.Identity.PoolID, l, r.Identity.ID)
			}
		case r.Role != nil:
			requireEqual(t, "imported role", mustGetRole(t, dst, r.Role.AccountID, r.Role.Name), r.Role)
		case r.Provider != nil:
			requireEqual(t, "imported provider", mustGetProvider(t, dst, r.Provider.AccountID, r.Provider.ARN), r.Provider)
		case r.Keys != nil:
			requireEqual(t, "imported keys", mustGetKeys(t, dst), r.Keys)
		}
	}
	// The quota and the login backstop hold on imported data.
	var id *storage.Identity
	for _, r := range want {
		if r.Identity != nil && len(r.Identity.Logins) > 0 {
			id = newIdentity(r.Identity.PoolID, r.Identity.Logins[0])
			break
		}
	}
	if id == nil {
		t.Fatal("storagetest: populate made no identity with a login")
	}
	err := dst.UpdateIdentities(t.Context(), func(tx storage.IdentityTx) error { return tx.Put(t.Context(), id) })
	wantErr(t, "Put of an imported login into a new identity", err, storage.ErrConflict)
}

func testDumpEmpty(t *testing.T, open func(*testing.T) storage.Store) {
	src, dst := open(t), open(t)
	if got := exportAll(t, src); len(got) != 0 {
		t.Fatalf("an empty store exported %d records", len(got))
	}
	if err := dst.Import(t.Context(), records()); err != nil {
		t.Fatalf("Import of nothing: %v", err)
	}
}

func testDumpExportFnError(t *testing.T, open func(*testing.T) storage.Store) {
	s := open(t)
	populate(t, s)
	stop := errors.New("stop here")
	calls := 0
	err := s.Export(t.Context(), func(storage.Record) error { calls++; return stop })
	if !errors.Is(err, stop) {
		t.Errorf("Export = %v, want the fn's error", err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times after returning an error, want 1", calls)
	}
}

func testDumpImportNotEmpty(t *testing.T, open func(*testing.T) storage.Store) {
	for name, seed := range map[string]func(s storage.Store){
		"pool": func(s storage.Store) { mustCreate(t, s, minimalPool(acctA, regionA)) },
		"role": func(s storage.Store) { mustCreateRole(t, s, fullRole(acctA, "Existing")) },
		"keys": func(s storage.Store) { mustSetKeys(t, s, fullKeys()) },
		"provider": func(s storage.Store) {
			mustCreateProvider(t, s, minimalProvider(acctA, storage.ProviderOIDC))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dst := open(t)
			seed(dst)
			before := exportAll(t, dst)
			p := minimalPool(acctB, regionB)
			err := dst.Import(t.Context(), records(storage.Record{Pool: p}))
			wantErr(t, "Import into a store holding a "+name, err, storage.ErrAlreadyExists)
			requireEqual(t, "records after the refused Import", exportAll(t, dst), before)
		})
	}
}

func testDumpImportAllOrNothing(t *testing.T, open func(*testing.T) storage.Store) {
	pool := minimalPool(acctA, regionA)
	ok := []storage.Record{{Keys: fullKeys()}, {Role: fullRole(acctA, "R")}, {Pool: pool}, {Identity: newIdentity(pool.ID, loginOf("p", "s"))}}
	orphan := newIdentity(newID(regionA))
	bad := errors.New("the source failed")
	for name, c := range map[string]struct {
		recs iter.Seq2[storage.Record, error]
		want error // nil: any error
	}{
		"identity before its pool":  {sliceSeq(append(slices.Clone(ok), storage.Record{Identity: orphan})), storage.ErrNotFound},
		"empty record":              {sliceSeq(append(slices.Clone(ok), storage.Record{})), nil},
		"two fields set":            {sliceSeq(append(slices.Clone(ok), storage.Record{Role: fullRole(acctB, "X"), Provider: minimalProvider(acctB, storage.ProviderOIDC)})), nil},
		"duplicate role":            {sliceSeq(append(slices.Clone(ok), storage.Record{Role: dupRole}, storage.Record{Role: dupRole.Clone()})), storage.ErrAlreadyExists},
		"duplicate identity":        {sliceSeq(append(slices.Clone(ok), storage.Record{Identity: ok[3].Identity})), storage.ErrAlreadyExists},
		"login of another identity": {sliceSeq(append(slices.Clone(ok), storage.Record{Identity: newIdentity(pool.ID, loginOf("p", "s"))})), storage.ErrConflict},
		"source error": {func(yield func(storage.Record, error) bool) {
			for _, r := range ok {
				if !yield(r, nil) {
					return
				}
			}
			yield(storage.Record{}, bad)
		}, bad},
	} {
		t.Run(name, func(t *testing.T) {
			dst := open(t)
			err := dst.Import(t.Context(), c.recs)
			if err == nil {
				t.Fatal("Import succeeded")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Import = %v, want %v", err, c.want)
			}
			if got := exportAll(t, dst); len(got) != 0 {
				t.Errorf("a failed Import left %d records, want none", len(got))
			}
			if _, err := dst.GetKeys(t.Context()); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("GetKeys after a failed Import: %v, want ErrNotFound", err)
			}
		})
	}
}

// An Import whose context ends midway (an operator's Ctrl-C) stops and leaves nothing.
func testDumpImportCancelled(t *testing.T, open func(*testing.T) storage.Store) {
	dst := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pool := minimalPool(acctA, regionA)
	recs := func(yield func(storage.Record, error) bool) {
		if !yield(storage.Record{Pool: pool}, nil) {
			return
		}
		cancel()
		for range 100 {
			if !yield(storage.Record{Identity: newIdentity(pool.ID)}, nil) {
				return
			}
		}
	}
	if err := dst.Import(ctx, recs); !errors.Is(err, context.Canceled) {
		t.Fatalf("Import cancelled midway = %v, want context.Canceled", err)
	}
	if got := exportAll(t, dst); len(got) != 0 {
		t.Errorf("a cancelled Import left %d records, want none", len(got))
	}
}

// dupRole is imported twice by the duplicate case.
var dupRole = fullRole(acctB, "Dup")
