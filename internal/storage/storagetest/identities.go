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

const devProvider = "login.example.com"

// newPool creates a minimal pool of acctA and returns its ID.
func newPool(t *testing.T, s storage.Store) string {
	t.Helper()
	p := minimalPool(acctA, regionA)
	mustCreate(t, s, p)
	return p.ID
}

// mustPut stores the identities in one UpdateIdentities.
func mustPut(t *testing.T, s storage.Store, ids ...*storage.Identity) {
	t.Helper()
	if err := s.UpdateIdentities(t.Context(), func(tx storage.IdentityTx) error {
		for _, id := range ids {
			if err := tx.Put(t.Context(), id); err != nil {
				return fmt.Errorf("Put(%s): %w", id.ID, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("UpdateIdentities: %v", err)
	}
}

func mustGetIdentity(t *testing.T, s storage.Store, id string) *storage.Identity {
	t.Helper()
	got, err := s.GetIdentity(t.Context(), id)
	if err != nil {
		t.Fatalf("GetIdentity(%s): %v", id, err)
	}
	return got
}

// wantOwner checks FindLogin of a login: want is the owning identity's ID, or "" for
// ErrNotFound.
func wantOwner(t *testing.T, s storage.Store, poolID string, l storage.Login, want string) {
	t.Helper()
	got, err := s.FindLogin(t.Context(), poolID, l.Provider, l.Subject)
	if want == "" {
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("FindLogin(%s, %v) = %q, %v; want ErrNotFound", poolID, l, got, err)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("FindLogin(%s, %v) = %q, %v; want %s", poolID, l, got, err, want)
	}
}

func wantNoIdentity(t *testing.T, s storage.Store, id string) {
	t.Helper()
	got, err := s.GetIdentity(t.Context(), id)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetIdentity(%s) = %+v, %v; want ErrNotFound", id, got, err)
	}
}

func testIdentityRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)

	full := newIdentity(pool,
		// Link order that is neither provider nor subject order, strings that need
		// escaping, and a subject that differs from another only in case.
		loginOf(devProvider, `z-user "ü" \ %_`),
		loginOf("accounts.google.com", "117.000"),
		loginOf("graph.facebook.com", "m"),
		loginOf("graph.facebook.com", "M"),
		loginOf("cognito-idp."+regionA+".amazonaws.com/"+regionA+"_AbCdEf123", "a1b2-c3d4"),
	)
	full.Disabled = true // not what a real identity with logins is, but storage keeps it
	if unset := unsetFields(full); len(unset) > 0 {
		t.Fatalf("storagetest: the full identity leaves %v unset", unset)
	}
	unauth := newIdentity(pool) // Logins nil
	emptyLogins := newIdentity(pool)
	emptyLogins.Logins = []storage.Login{}
	disabled := newIdentity(pool)
	disabled.Logins = []storage.Login{}
	disabled.Disabled = true
	zeroTimes := newIdentity(pool, loginOf(devProvider, "zero-times"))
	zeroTimes.CreatedAt, zeroTimes.UpdatedAt = time.Time{}, time.Time{}

	ids := map[string]*storage.Identity{"full": full, "nil logins": unauth, "empty logins": emptyLogins, "disabled": disabled, "zero times": zeroTimes}
	wants := map[string]*storage.Identity{}
	for name, id := range ids {
		wants[name] = cloneIdentity(id)
	}
	var inTx map[string]*storage.Identity
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		inTx = map[string]*storage.Identity{}
		for name, id := range ids {
			if err := tx.Put(ctx, id); err != nil {
				return fmt.Errorf("%s: Put: %w", name, err)
			}
		}
		for name, id := range ids {
			got, err := tx.Identity(ctx, id.ID)
			if err != nil {
				return fmt.Errorf("%s: tx.Identity: %w", name, err)
			}
			inTx[name] = got
		}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateIdentities: %v", err)
	}
	for name, want := range wants {
		requireEqual(t, name+": Put's argument after Put", ids[name], want)
		requireEqual(t, name+": tx.Identity after Put", inTx[name], want)
		got := mustGetIdentity(t, s, want.ID)
		requireEqual(t, name+": GetIdentity", got, want)
		if loc := got.CreatedAt.Location(); loc != time.UTC {
			t.Errorf("%s: CreatedAt in %v, want UTC", name, loc)
		}
		if want.CreatedAt.IsZero() && !got.CreatedAt.IsZero() {
			t.Errorf("%s: zero CreatedAt came back as %v", name, got.CreatedAt)
		}
		if sh := sharedRefs(got, ids[name]); len(sh) > 0 {
			t.Errorf("%s: GetIdentity result shares %v with Put's argument", name, sh)
		}
		for _, l := range want.Logins {
			wantOwner(t, s, pool, l, want.ID)
		}

		// Results are the caller's to change.
		if len(got.Logins) > 0 {
			got.Logins[0].Subject = "mutated"
		}
		got.Logins = append(got.Logins, loginOf("mutated", "mutated"))
		got.Disabled = !got.Disabled
		again := mustGetIdentity(t, s, want.ID)
		requireEqual(t, name+": GetIdentity after mutating an earlier result", again, want)
		if sh := sharedRefs(again, got); len(sh) > 0 {
			t.Errorf("%s: two GetIdentity results share %v", name, sh)
		}
	}

	// The same login in another pool is another login.
	other := newPool(t, s)
	wantOwner(t, s, other, full.Logins[0], "")
	twin := newIdentity(other, full.Logins[0])
	mustPut(t, s, twin)
	wantOwner(t, s, other, full.Logins[0], twin.ID)
	wantOwner(t, s, pool, full.Logins[0], full.ID)

	wantNoIdentity(t, s, newID(regionA))
	_, err = s.FindLogin(ctx, pool, devProvider, "nobody")
	wantErr(t, "FindLogin of an unknown login", err, storage.ErrNotFound)
	_, err = s.FindLogin(ctx, newID(regionA), full.Logins[0].Provider, full.Logins[0].Subject)
	wantErr(t, "FindLogin in an unknown pool", err, storage.ErrNotFound)
}

func testIdentityTxSeesOwnWrites(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	l1, l2, l3 := loginOf(devProvider, "u1"), loginOf(devProvider, "u2"), loginOf("accounts.google.com", "g3")
	gone := newIdentity(pool, l3)
	mustPut(t, s, gone)

	a := newIdentity(pool, l1)
	wantA := newIdentity(pool, l2, l1)
	wantA.ID = a.ID
	var steps []string
	check := func(what string, ok bool) {
		if !ok {
			steps = append(steps, what)
		}
	}
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		steps = nil
		_, err := tx.Identity(ctx, a.ID)
		check("Identity before Put is ErrNotFound", errors.Is(err, storage.ErrNotFound))
		_, err = tx.OwnerOf(ctx, pool, l1.Provider, l1.Subject)
		check("OwnerOf before Put is ErrNotFound", errors.Is(err, storage.ErrNotFound))

		if err := tx.Put(ctx, a); err != nil {
			return err
		}
		owner, err := tx.OwnerOf(ctx, pool, l1.Provider, l1.Subject)
		check("OwnerOf sees the Put", err == nil && owner == a.ID)
		got, err := tx.Identity(ctx, a.ID)
		check("Identity sees the Put", err == nil && len(diffDeep(got, a)) == 0)

		// A second Put in the same transaction replaces the first.
		if err := tx.Put(ctx, cloneIdentity(wantA)); err != nil {
			return err
		}
		got, err = tx.Identity(ctx, a.ID)
		check("Identity sees the second Put", err == nil && len(diffDeep(got, wantA)) == 0)
		owner, err = tx.OwnerOf(ctx, pool, l2.Provider, l2.Subject)
		check("OwnerOf sees the second Put's new login", err == nil && owner == a.ID)

		// A Delete, and a login it freed taken by another identity in the same transaction.
		if err := tx.Delete(ctx, gone.ID); err != nil {
			return err
		}
		_, err = tx.Identity(ctx, gone.ID)
		check("Identity after Delete is ErrNotFound", errors.Is(err, storage.ErrNotFound))
		_, err = tx.OwnerOf(ctx, pool, l3.Provider, l3.Subject)
		check("OwnerOf of a deleted identity's login is ErrNotFound", errors.Is(err, storage.ErrNotFound))
		if err := tx.Put(ctx, newIdentity(pool, l3)); err != nil {
			return fmt.Errorf("Put taking a login freed earlier in the transaction: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateIdentities: %v", err)
	}
	for _, step := range steps {
		t.Errorf("inside the transaction: want %s", step)
	}
	requireEqual(t, "GetIdentity after the transaction", mustGetIdentity(t, s, a.ID), wantA)
	wantNoIdentity(t, s, gone.ID)
	owner, err := s.FindLogin(ctx, pool, l3.Provider, l3.Subject)
	if err != nil || owner == gone.ID {
		t.Errorf("FindLogin of the login moved inside the transaction = %q, %v", owner, err)
	}
}

func testIdentityPutReplaces(t *testing.T, s storage.Store) {
	pool := newPool(t, s)
	l1, l2, l3, l4 := loginOf(devProvider, "u1"), loginOf("graph.facebook.com", "f2"), loginOf("accounts.google.com", "g3"), loginOf("www.amazon.com", "a4")
	a := newIdentity(pool, l1, l2, l3)
	b := newIdentity(pool, l4)
	mustPut(t, s, a, b)

	// Replace: drop l1, reorder, add a login taken from b in the same transaction.
	next := cloneIdentity(a)
	next.Logins = []storage.Login{l3, l4, l2}
	next.UpdatedAt = a.UpdatedAt.Add(time.Hour)
	nextB := cloneIdentity(b)
	nextB.Logins = []storage.Login{}
	nextB.Disabled = true
	mustPut(t, s, nextB, next)
	requireEqual(t, "GetIdentity after replacing its logins", mustGetIdentity(t, s, a.ID), next)
	requireEqual(t, "GetIdentity of the identity that gave up its login", mustGetIdentity(t, s, b.ID), nextB)
	wantOwner(t, s, pool, l1, "")
	wantOwner(t, s, pool, l2, a.ID)
	wantOwner(t, s, pool, l3, a.ID)
	wantOwner(t, s, pool, l4, a.ID)

	// Down to no logins, nil this time; then back to one.
	none := cloneIdentity(next)
	none.Logins = nil
	mustPut(t, s, none)
	requireEqual(t, "GetIdentity after removing every login", mustGetIdentity(t, s, a.ID), none)
	for _, l := range []storage.Login{l1, l2, l3, l4} {
		wantOwner(t, s, pool, l, "")
	}
	one := cloneIdentity(none)
	one.Logins = []storage.Login{l1}
	mustPut(t, s, one)
	requireEqual(t, "GetIdentity after adding a login back", mustGetIdentity(t, s, a.ID), one)
	wantOwner(t, s, pool, l1, a.ID)

	// Putting an identity unchanged is allowed and changes nothing.
	mustPut(t, s, cloneIdentity(one))
	requireEqual(t, "GetIdentity after an unchanged Put", mustGetIdentity(t, s, a.ID), one)
}

func testIdentityPutConflict(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	taken, free := loginOf(devProvider, "taken"), loginOf(devProvider, "free")
	owner := newIdentity(pool, taken)
	victim := newIdentity(pool, loginOf("accounts.google.com", "victim"))
	mustPut(t, s, owner, victim)
	wantOwnerI, wantVictim := cloneIdentity(owner), cloneIdentity(victim)

	fresh := newIdentity(pool)
	thief := newIdentity(pool, free, taken)
	var putErr error
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		// Writes before the failing Put, which must go with the transaction.
		if err := tx.Put(ctx, fresh); err != nil {
			return err
		}
		changed := cloneIdentity(victim)
		changed.Logins = nil
		if err := tx.Put(ctx, changed); err != nil {
			return err
		}
		putErr = tx.Put(ctx, thief)
		return putErr
	})
	wantErr(t, "Put of a login another identity owns", putErr, storage.ErrConflict)
	if err != putErr {
		t.Errorf("UpdateIdentities returned %v, want fn's error as is", err)
	}
	wantNoIdentity(t, s, fresh.ID)
	wantNoIdentity(t, s, thief.ID)
	requireEqual(t, "the owner after the conflict", mustGetIdentity(t, s, owner.ID), wantOwnerI)
	requireEqual(t, "an identity changed before the conflict", mustGetIdentity(t, s, victim.ID), wantVictim)
	wantOwner(t, s, pool, taken, owner.ID)
	wantOwner(t, s, pool, free, "")
	wantOwner(t, s, pool, victim.Logins[0], victim.ID)

	// Replacing an existing identity is checked the same way.
	err = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		changed := cloneIdentity(victim)
		changed.Logins = append(changed.Logins, taken)
		return tx.Put(ctx, changed)
	})
	wantErr(t, "Put adding a login another identity owns", err, storage.ErrConflict)
	requireEqual(t, "the identity whose Put conflicted", mustGetIdentity(t, s, victim.ID), wantVictim)
	wantOwner(t, s, pool, taken, owner.ID)
}

func testIdentityPutMissingPool(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	before := newIdentity(pool)
	lost := newIdentity(newID(regionA), loginOf(devProvider, "u"))
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		if err := tx.Put(ctx, before); err != nil {
			return err
		}
		return tx.Put(ctx, lost)
	})
	wantErr(t, "Put into a missing pool", err, storage.ErrNotFound)
	wantNoIdentity(t, s, lost.ID)
	wantNoIdentity(t, s, before.ID)
	wantOwner(t, s, lost.PoolID, lost.Logins[0], "")
	if got, err := s.ListIdentities(ctx, lost.PoolID, "", 10, false); err != nil || len(got) != 0 {
		t.Errorf("ListIdentities of the missing pool = %v, %v; want none", got, err)
	}

	// An identity cannot be moved into a missing pool either.
	mustPut(t, s, before)
	err = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		moved := cloneIdentity(before)
		moved.PoolID = newID(regionA)
		return tx.Put(ctx, moved)
	})
	wantErr(t, "Put moving an identity into a missing pool", err, storage.ErrNotFound)
	requireEqual(t, "the identity after", mustGetIdentity(t, s, before.ID), before)
}

func testIdentityFnError(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	l1, l2 := loginOf(devProvider, "u1"), loginOf(devProvider, "u2")
	kept := newIdentity(pool, l1)
	doomed := newIdentity(pool, l2)
	mustPut(t, s, kept, doomed)
	wantKept, wantDoomed := cloneIdentity(kept), cloneIdentity(doomed)

	created := newIdentity(pool, loginOf(devProvider, "new"))
	fnErr := fmt.Errorf("wrapped by fn: %w", errFromFn)
	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
		if err := tx.Put(ctx, created); err != nil {
			return err
		}
		changed := cloneIdentity(kept)
		changed.Logins = []storage.Login{loginOf("accounts.google.com", "g")}
		changed.Disabled = true
		if err := tx.Put(ctx, changed); err != nil {
			return err
		}
		if err := tx.Delete(ctx, doomed.ID); err != nil {
			return err
		}
		return fnErr
	})
	if err != fnErr {
		t.Fatalf("UpdateIdentities: got error %v, want fn's error as is", err)
	}
	wantNoIdentity(t, s, created.ID)
	wantOwner(t, s, pool, created.Logins[0], "")
	wantOwner(t, s, pool, loginOf("accounts.google.com", "g"), "")
	requireEqual(t, "identity changed by an aborted transaction", mustGetIdentity(t, s, kept.ID), wantKept)
	requireEqual(t, "identity deleted by an aborted transaction", mustGetIdentity(t, s, doomed.ID), wantDoomed)
	wantOwner(t, s, pool, l1, kept.ID)
	wantOwner(t, s, pool, l2, doomed.ID)
	if got, err := s.ListIdentities(ctx, pool, "", 10, false); err != nil || len(got) != 2 {
		t.Errorf("ListIdentities after an aborted transaction = %d identities, %v; want 2", len(got), err)
	}
}

func testIdentityDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	l1, l2, l3 := loginOf(devProvider, "u1"), loginOf("accounts.google.com", "g2"), loginOf(devProvider, "u3")
	gone := newIdentity(pool, l1, l2)
	kept := newIdentity(pool, l3)
	mustPut(t, s, gone, kept)

	if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Delete(ctx, gone.ID) }); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNoIdentity(t, s, gone.ID)
	wantOwner(t, s, pool, l1, "")
	wantOwner(t, s, pool, l2, "")
	requireEqual(t, "the other identity", mustGetIdentity(t, s, kept.ID), kept)
	wantOwner(t, s, pool, l3, kept.ID)

	err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Delete(ctx, gone.ID) })
	wantErr(t, "second Delete", err, storage.ErrNotFound)
	err = s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Delete(ctx, newID(regionA)) })
	wantErr(t, "Delete of an unknown identity", err, storage.ErrNotFound)

	// The deleted identity's logins are free for another.
	heir := newIdentity(pool, l2, l1)
	mustPut(t, s, heir)
	wantOwner(t, s, pool, l1, heir.ID)
	requireEqual(t, "identity that took the deleted one's logins", mustGetIdentity(t, s, heir.ID), heir)
	// And the ID can be used again.
	again := newIdentity(pool)
	again.ID = gone.ID
	mustPut(t, s, again)
	requireEqual(t, "identity with a deleted identity's ID", mustGetIdentity(t, s, gone.ID), again)
}

func testDeletePoolRemovesIdentities(t *testing.T, s storage.Store) {
	ctx := t.Context()
	doomed, kept := minimalPool(acctA, regionA), minimalPool(acctA, regionA)
	mustCreate(t, s, doomed)
	mustCreate(t, s, kept)
	shared := loginOf(devProvider, "in-both-pools")
	var doomedIDs []*storage.Identity
	for i := range 5 {
		doomedIDs = append(doomedIDs, newIdentity(doomed.ID, shared, loginOf("accounts.google.com", fmt.Sprint(i))))
		shared = loginOf(devProvider, fmt.Sprintf("in-both-pools-%d", i))
	}
	doomedIDs = append(doomedIDs, newIdentity(doomed.ID)) // one without logins
	keptID := newIdentity(kept.ID, loginOf(devProvider, "in-both-pools"))
	mustPut(t, s, doomedIDs...)
	mustPut(t, s, keptID)

	if err := s.DeletePool(ctx, acctA, doomed.ID); err != nil {
		t.Fatalf("DeletePool: %v", err)
	}
	for _, id := range doomedIDs {
		wantNoIdentity(t, s, id.ID)
		for _, l := range id.Logins {
			wantOwner(t, s, doomed.ID, l, "")
		}
	}
	if got, err := s.ListIdentities(ctx, doomed.ID, "", 100, false); err != nil || len(got) != 0 {
		t.Errorf("ListIdentities of the deleted pool = %d identities, %v; want none", len(got), err)
	}
	requireEqual(t, "identity of the other pool", mustGetIdentity(t, s, keptID.ID), keptID)
	wantOwner(t, s, kept.ID, keptID.Logins[0], keptID.ID)

	// A pool created again with the same ID starts empty, and Put into it works.
	reborn := minimalPool(acctA, regionA)
	reborn.ID = doomed.ID
	mustCreate(t, s, reborn)
	if got, err := s.ListIdentities(ctx, reborn.ID, "", 100, false); err != nil || len(got) != 0 {
		t.Errorf("ListIdentities of the re-created pool = %d identities, %v; want none", len(got), err)
	}
	wantOwner(t, s, reborn.ID, doomedIDs[0].Logins[0], "")
	mustPut(t, s, newIdentity(reborn.ID, doomedIDs[0].Logins[0]))
}

// identityIDs lists the IDs of ids, in order.
func identityIDs(ids []*storage.Identity) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.ID
	}
	return out
}

// listAllIdentities pages through a pool's identities with pages of size, checking that
// every page but the last is full.
func listAllIdentities(t *testing.T, s storage.Store, poolID string, size int, hideDisabled bool) []*storage.Identity {
	t.Helper()
	var all []*storage.Identity
	after := ""
	for range 10_000 {
		page, err := s.ListIdentities(t.Context(), poolID, after, size, hideDisabled)
		if err != nil {
			t.Fatalf("ListIdentities(after %q, limit %d): %v", after, size, err)
		}
		if len(page) > size {
			t.Fatalf("ListIdentities(limit %d) returned %d identities", size, len(page))
		}
		all = append(all, page...)
		if len(page) < size {
			return all
		}
		after = page[len(page)-1].ID
	}
	t.Fatalf("ListIdentities never returned a short page")
	return nil
}

func sortIdentities(ids []*storage.Identity) {
	slices.SortFunc(ids, func(a, b *storage.Identity) int { return strings.Compare(a.ID, b.ID) })
}

func enabledOnly(ids []*storage.Identity) []*storage.Identity {
	var out []*storage.Identity
	for _, id := range ids {
		if !id.Disabled {
			out = append(out, id)
		}
	}
	return out
}

func testListIdentities(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool, other := newPool(t, s), newPool(t, s)
	var want []*storage.Identity
	for i := range 25 {
		var id *storage.Identity
		switch i % 4 {
		case 0:
			id = newIdentity(pool)
		case 1:
			id = newIdentity(pool, loginOf(devProvider, fmt.Sprint(i)), loginOf("accounts.google.com", fmt.Sprint(i)))
		case 2:
			id = newIdentity(pool)
			id.Logins = []storage.Login{}
			id.Disabled = true
		case 3:
			id = newIdentity(pool, loginOf("graph.facebook.com", fmt.Sprint(i)))
			id.Disabled = i%8 == 3
		}
		want = append(want, id)
	}
	// IDs that sort differently in byte order and under a linguistic collation.
	for _, suffix := range []string{"a-c", "ab", "a_b", "aB", "AB", "a b", "z", "zé", "ä"} {
		id := newIdentity(pool, loginOf(devProvider, "crafted "+suffix))
		id.ID = regionA + ":" + suffix
		id.Disabled = suffix == "aB"
		want = append(want, id)
	}
	mustPut(t, s, want...)
	sortIdentities(want)
	theirs := []*storage.Identity{newIdentity(other), newIdentity(other, loginOf(devProvider, "1"))}
	mustPut(t, s, theirs...)
	sortIdentities(theirs)
	wantEnabled := enabledOnly(want)
	if len(wantEnabled) == len(want) || len(wantEnabled) == 0 {
		t.Fatal("storagetest: the fixture needs both enabled and disabled identities")
	}

	all, err := s.ListIdentities(ctx, pool, "", len(want)+10, false)
	if err != nil {
		t.Fatalf("ListIdentities: %v", err)
	}
	requireEqual(t, "ListIdentities in one page", all, want)
	if !slices.Equal(identityIDs(all), identityIDs(want)) {
		t.Errorf("ListIdentities order:\n got  %v\n want %v (by ID in byte order)", identityIDs(all), identityIDs(want))
	}
	for i, id := range all {
		if sh := sharedRefs(id, want[i]); len(sh) > 0 {
			t.Errorf("listed identity %s shares %v with Put's argument", id.ID, sh)
		}
	}
	for _, size := range []int{1, 2, 3, 5, 7, len(want) - 1, len(want), len(want) + 1, 1000} {
		for _, hide := range []bool{false, true} {
			w := want
			if hide {
				w = wantEnabled
			}
			got := listAllIdentities(t, s, pool, size, hide)
			if !slices.Equal(identityIDs(got), identityIDs(w)) {
				t.Errorf("paging with limit %d, hideDisabled %v:\n got  %v\n want %v", size, hide, identityIDs(got), identityIDs(w))
			} else {
				requireEqual(t, fmt.Sprintf("identities paged with limit %d, hideDisabled %v", size, hide), got, w)
			}
		}
	}
	if got := listAllIdentities(t, s, other, 1, false); !slices.Equal(identityIDs(got), identityIDs(theirs)) {
		t.Errorf("ListIdentities of the other pool = %v, want %v", identityIDs(got), identityIDs(theirs))
	}
	if got := listAllIdentities(t, s, newID(regionA), 3, false); len(got) != 0 {
		t.Errorf("ListIdentities of an unknown pool = %v, want none", identityIDs(got))
	}

	// afterID need not be an existing identity: it is a position in the order.
	mid := want[10].ID + "\x00"
	got, err := s.ListIdentities(ctx, pool, mid, 3, false)
	if err != nil {
		t.Fatalf("ListIdentities: %v", err)
	}
	if !slices.Equal(identityIDs(got), identityIDs(want[11:14])) {
		t.Errorf("ListIdentities(after %q, 3) = %v, want %v", mid, identityIDs(got), identityIDs(want[11:14]))
	}
	got, err = s.ListIdentities(ctx, pool, want[len(want)-1].ID, 5, false)
	if err != nil || len(got) != 0 {
		t.Errorf("ListIdentities after the last ID = %v, %v; want none", identityIDs(got), err)
	}
}

// testListIdentitiesUnderModification pages through a pool's identities while others are
// added, disabled and deleted between pages, checking every page against a model.
func testListIdentitiesUnderModification(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, hide := range []bool{false, true} {
		pool := newPool(t, s)
		rng := rand.New(rand.NewPCG(3, 4))
		live := map[string]*storage.Identity{}
		put := func(id *storage.Identity) {
			mustPut(t, s, id)
			live[id.ID] = cloneIdentity(id)
		}
		for i := range 30 {
			id := newIdentity(pool, loginOf(devProvider, fmt.Sprint(i)))
			id.Disabled = i%5 == 0
			put(id)
		}
		expect := func(after string, size int) []*storage.Identity {
			var out []*storage.Identity
			for _, id := range live {
				if id.ID > after && !(hide && id.Disabled) {
					out = append(out, id)
				}
			}
			sortIdentities(out)
			return out[:min(size, len(out))]
		}
		seen := map[string]bool{}
		after := ""
		for step := 0; ; step++ {
			size := 1 + rng.IntN(5)
			page, err := s.ListIdentities(ctx, pool, after, size, hide)
			if err != nil {
				t.Fatalf("ListIdentities: %v", err)
			}
			want := expect(after, size)
			if !slices.Equal(identityIDs(page), identityIDs(want)) {
				t.Fatalf("hideDisabled %v, page %d (after %q, limit %d):\n got  %v\n want %v", hide, step, after, size, identityIDs(page), identityIDs(want))
			}
			requireEqual(t, fmt.Sprintf("page %d", step), page, want)
			for _, id := range page {
				if seen[id.ID] {
					t.Errorf("identity %s listed twice", id.ID)
				}
				seen[id.ID] = true
			}
			if len(page) < size {
				break
			}
			after = page[len(page)-1].ID

			// Between pages: add one right ahead of the cursor (it must show up next) and one
			// anywhere, disable or enable one ahead, and delete one ahead.
			ahead := newIdentity(pool)
			ahead.ID = after + "-" + guid()
			put(ahead)
			put(newIdentity(pool, loginOf(devProvider, "added "+guid())))
			if next := expect(after, 100); len(next) > 2 {
				flip := cloneIdentity(next[1+rng.IntN(len(next)-1)])
				flip.Disabled = !flip.Disabled
				put(flip)
			}
			if next := expect(after, 100); len(next) > 2 {
				victim := next[1+rng.IntN(len(next)-1)].ID
				if err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error { return tx.Delete(ctx, victim) }); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				delete(live, victim)
			}
			if step > 200 {
				t.Fatal("listing does not end")
			}
		}
	}
}

// testIdentityConcurrentGetOrCreate is GetId's race: many callers with the same new login
// each look up its owner and create an identity when there is none. Exactly one identity
// must come out of it, and every caller must get its ID.
func testIdentityConcurrentGetOrCreate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	l := loginOf(devProvider, "user1")
	const n = 50
	start := make(chan struct{})
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			var id string // fn may run more than once: only the last run counts
			err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
				owner, err := tx.OwnerOf(ctx, pool, l.Provider, l.Subject)
				if err == nil {
					id = owner
					return nil
				}
				if !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				created := newIdentity(pool, l)
				id = created.ID
				return tx.Put(ctx, created)
			})
			errs[i] = err
			if err == nil {
				ids[i] = id
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if t.Failed() {
		return
	}
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("caller %d got identity %s, caller 0 got %s", i, id, ids[0])
		}
	}
	all := listAllIdentities(t, s, pool, 100, false)
	if len(all) != 1 {
		t.Fatalf("%d identities exist after the race, want 1: %v", len(all), identityIDs(all))
	}
	if all[0].ID != ids[0] || !slices.Equal(all[0].Logins, []storage.Login{l}) {
		t.Errorf("the identity is %+v, want %s with login %v", all[0], ids[0], l)
	}
	wantOwner(t, s, pool, l, ids[0])
}

// testIdentityConcurrentMoveLogins has transactions race to move logins between two
// identities. Each reads both and moves one login, so a lost update would duplicate or
// drop a login, or leave the counts off the tally of moves.
func testIdentityConcurrentMoveLogins(t *testing.T, s storage.Store) {
	ctx := t.Context()
	pool := newPool(t, s)
	var logins []storage.Login
	for i := range 10 {
		logins = append(logins, loginOf(devProvider, fmt.Sprintf("u%02d", i)))
	}
	a, b := newIdentity(pool, logins[:6]...), newIdentity(pool, logins[6:]...)
	mustPut(t, s, a, b)

	const workers, moves = 20, 5
	start := make(chan struct{})
	toB := make([]int, workers) // net moves from a to b, counted after each success
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for m := range moves {
				var dir int
				err := s.UpdateIdentities(ctx, func(tx storage.IdentityTx) error {
					ia, err := tx.Identity(ctx, a.ID)
					if err != nil {
						return err
					}
					ib, err := tx.Identity(ctx, b.ID)
					if err != nil {
						return err
					}
					src, dst := ia, ib
					dir = 1
					if (w+m)%2 == 1 && len(ib.Logins) > 0 || len(ia.Logins) == 0 {
						src, dst, dir = ib, ia, -1
					}
					moved := src.Logins[0]
					src.Logins = slices.Delete(src.Logins, 0, 1)
					dst.Logins = append(dst.Logins, moved)
					// The source first: until it lets go, the login is still its own.
					if err := tx.Put(ctx, src); err != nil {
						return err
					}
					return tx.Put(ctx, dst)
				})
				if err != nil {
					t.Errorf("worker %d, move %d: %v", w, m, err)
					return
				}
				toB[w] += dir
			}
		})
	}
	close(start)
	wg.Wait()

	net := 0
	for _, d := range toB {
		net += d
	}
	ga, gb := mustGetIdentity(t, s, a.ID), mustGetIdentity(t, s, b.ID)
	if len(ga.Logins) != 6-net || len(gb.Logins) != 4+net {
		t.Errorf("a has %d logins and b %d after a net %d moved from a to b; want %d and %d (an update was lost)",
			len(ga.Logins), len(gb.Logins), net, 6-net, 4+net)
	}
	got := slices.Concat(ga.Logins, gb.Logins)
	slices.SortFunc(got, func(x, y storage.Login) int { return strings.Compare(x.Subject, y.Subject) })
	if !slices.Equal(got, logins) {
		t.Errorf("logins after the race = %v, want each of %v exactly once", got, logins)
	}
	for _, l := range ga.Logins {
		wantOwner(t, s, pool, l, a.ID)
	}
	for _, l := range gb.Logins {
		wantOwner(t, s, pool, l, b.ID)
	}
}
