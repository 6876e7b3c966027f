package sqlrecord

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// argsRow is a row whose columns hold what an INSERT with these arguments stored. Like
// both drivers, it scans text into a string or a []byte.
type argsRow []any

func (a argsRow) Scan(dest ...any) error {
	if len(dest) != len(a) {
		return fmt.Errorf("%d destinations for %d columns", len(dest), len(a))
	}
	for i, d := range dest {
		dst := reflect.ValueOf(d).Elem()
		dst.Set(reflect.ValueOf(a[i]).Convert(dst.Type()))
	}
	return nil
}

var errNoRows = errors.New("no rows")

// noRow is a missing row.
type noRow struct{}

func (noRow) Scan(...any) error { return fmt.Errorf("driver: %w", errNoRows) }

// A missing row is ErrNotFound, a row that does not decode is not, and the errors name
// the record.
func TestReadRecordErrors(t *testing.T) {
	_, err := ReadRecord(noRow{}, new(RoleRow), "Admin", errNoRows)
	if !errors.Is(err, storage.ErrNotFound) || err.Error() != "role Admin: storage: not found" {
		t.Errorf("missing row: %v", err)
	}
	_, err = ReadRecord(argsRow{"1", "admin", "/", "arn", "AROA", "{}", "", int32(0), "{", int64(0)}, new(RoleRow), "Admin", errNoRows)
	if err == nil || errors.Is(err, storage.ErrNotFound) || !strings.HasPrefix(err.Error(), "decode role admin: ") {
		t.Errorf("broken tags: %v", err)
	}
}

// readBack reads through r the row that args insert, as a backend reads back what it wrote.
func readBack[T any](t *testing.T, columns string, args []any, r Row[T]) *T {
	t.Helper()
	if n := len(strings.Split(columns, ", ")); n != len(args) {
		t.Fatalf("%d arguments for %d columns", len(args), n)
	}
	got, err := ReadRecord(argsRow(args), r, "", errNoRows)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Each kind's Row scans its columns in the order its Args gives them: what a record is
// inserted as reads back as the record.
func TestRowsReadWhatArgsWrite(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000000, time.UTC)
	pool := &storage.Pool{AccountID: "1", Region: "r", ID: "r:p", Name: "n", AllowClassicFlow: new(bool),
		Tags: map[string]string{}, Roles: map[string]string{"authenticated": "a"}, CreatedAt: at, UpdatedAt: at.Add(time.Second)}
	args, err := PoolArgs(pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Row[storage.Pool]{new(PoolRow), new(CachedPoolRow), new(CachedPoolRow)} { // the last from the cache
		if got := readBack(t, PoolColumns, args, r); !reflect.DeepEqual(got, pool) || r.key() != pool.ID || r.kind() != "pool" {
			t.Errorf("%T read back as %+v (key %q), want %+v", r, got, r.key(), pool)
		}
	}

	prov := &storage.IAMProvider{AccountID: "1", ARN: "arn", Kind: storage.ProviderSAML, SAMLMetadata: "<x/>",
		ClientIDs: []string{}, ValidUntil: at, CreatedAt: at, UpdatedAt: at}
	if args, err = ProviderArgs(prov); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, ProviderColumns, args, new(ProviderRow)); !reflect.DeepEqual(got, prov) {
		t.Errorf("provider read back as %+v, want %+v", got, prov)
	}

	role := &storage.Role{AccountID: "1", Name: "R", Path: "/", ARN: "arn", RoleID: "AROA", AssumeRolePolicyDocument: "{}",
		Description: "d", MaxSessionDuration: 3600, Tags: map[string]string{"k": "v"}, CreatedAt: at}
	if args, err = RoleArgs(role); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, RoleColumns, args, new(RoleRow)); !reflect.DeepEqual(got, role) {
		t.Errorf("role read back as %+v, want %+v", got, role)
	}
}

func TestIdentityAssembler(t *testing.T) {
	type row struct {
		id    string
		cols  IdentityRow
		login string // "": none
	}
	var (
		enabled  = IdentityRow{PoolID: "p", Created: 1, Updated: 2}
		disabled = IdentityRow{PoolID: "p", Disabled: true, LoginsNil: true, Created: 1, Updated: 2}
		rows     = []row{{"a", enabled, "x"}, {"a", enabled, "y"}, {"b", enabled, ""}, {"c", disabled, ""}}
		a        IdentityAssembler
		got      []*storage.Identity
	)
	for _, r := range rows {
		if done := a.Add(r.id, &r.cols, storage.Login{Provider: r.login, Subject: "s-" + r.login}, r.login != ""); done != nil {
			got = append(got, done)
		}
	}
	if len(got) != 2 {
		t.Fatalf("Add completed %d identities before the last row, want 2", len(got))
	}
	got = append(got, a.Flush())
	created, updated := time.UnixMilli(1).UTC(), time.UnixMilli(2).UTC()
	want := []*storage.Identity{
		{PoolID: "p", ID: "a", Logins: []storage.Login{{Provider: "x", Subject: "s-x"}, {Provider: "y", Subject: "s-y"}}, CreatedAt: created, UpdatedAt: updated},
		{PoolID: "p", ID: "b", Logins: []storage.Login{}, CreatedAt: created, UpdatedAt: updated},
		{PoolID: "p", ID: "c", Disabled: true, CreatedAt: created, UpdatedAt: updated},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("assembled %+v, want %+v", got, want)
	}
	if a.Flush() != nil {
		t.Error("Flush after Flush returned an identity")
	}
}

func TestUpdatePool(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cur := &storage.Pool{AccountID: "1", Region: "r", ID: "r:p", Name: "old", Tags: map[string]string{}, CreatedAt: at, UpdatedAt: at}
	var held *storage.Pool
	stored, config, err := UpdatePool(cur, func(p *storage.Pool) error {
		held = p
		p.AccountID, p.Region, p.ID, p.CreatedAt = "2", "x", "x:q", at.Add(time.Hour)
		p.Name, p.UpdatedAt = "new", at.Add(1500*time.Microsecond)
		p.Tags["k"] = "v"
		return nil
	}, func(err error) error { return err })
	if err != nil {
		t.Fatal(err)
	}
	want := &storage.Pool{AccountID: "1", Region: "r", ID: "r:p", Name: "new", Tags: map[string]string{"k": "v"},
		CreatedAt: at, UpdatedAt: at.Add(time.Millisecond)}
	if !reflect.DeepEqual(stored, want) {
		t.Errorf("UpdatePool stored %+v, want %+v", stored, want)
	}
	var decoded storage.Pool
	if err := DecodePool(config, &decoded); err != nil || !reflect.DeepEqual(decoded.Tags, want.Tags) {
		t.Errorf("config %s decodes to %+v, %v", config, decoded, err)
	}
	if len(cur.Tags) != 0 {
		t.Error("fn changed the pool it was read from")
	}
	held.Tags["k"] = "changed"
	if stored.Tags["k"] != "v" {
		t.Error("the stored pool shares memory with fn's")
	}

	errFn := errors.New("from fn")
	if _, _, err := UpdatePool(cur, func(*storage.Pool) error { return errFn }, func(error) error {
		t.Error("wrap called for fn's error")
		return nil
	}); err != errFn {
		t.Errorf("UpdatePool returned %v, want fn's error as is", err)
	}
}

func TestUpdateKeys(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("wrapped: %w", err) }
	// No keys, and fn leaves it so.
	write, out, err := UpdateKeys(nil, func(cur *storage.Keys) (*storage.Keys, error) {
		if cur != nil {
			t.Errorf("fn got %+v for no keys", cur)
		}
		return nil, nil
	}, wrap)
	if write != nil || out != nil || err != nil {
		t.Errorf("UpdateKeys of nothing = %s, %+v, %v", write, out, err)
	}
	// New keys: written, and handed back as they decode.
	k := &storage.Keys{SigningKeyID: "k", SigningKey: []byte{1}, NextRotation: time.Unix(0, 1500000).UTC()}
	write, out, err = UpdateKeys(nil, func(*storage.Keys) (*storage.Keys, error) { return k, nil }, wrap)
	if err != nil || write == nil || out == k || out.SigningKeyID != "k" || !out.NextRotation.Equal(time.UnixMilli(1)) {
		t.Fatalf("UpdateKeys of new keys = %s, %+v, %v", write, out, err)
	}
	// Unchanged: nothing to write, and what fn did to cur does not leak out.
	stored := write
	write, out, err = UpdateKeys(stored, func(cur *storage.Keys) (*storage.Keys, error) {
		cur.SigningKeyID = "changed"
		return nil, nil
	}, wrap)
	if err != nil || write != nil || out.SigningKeyID != "k" {
		t.Errorf("unchanged UpdateKeys = %s, %+v, %v", write, out, err)
	}
	errFn := errors.New("from fn")
	if _, _, err := UpdateKeys(stored, func(*storage.Keys) (*storage.Keys, error) { return nil, errFn }, wrap); err != errFn {
		t.Errorf("UpdateKeys returned %v, want fn's error as is", err)
	}
	if _, _, err := UpdateKeys([]byte("{"), func(*storage.Keys) (*storage.Keys, error) { return nil, nil }, wrap); err == nil || !strings.HasPrefix(err.Error(), "wrapped: decode keys: ") {
		t.Errorf("UpdateKeys of broken JSON returned %v, want a wrapped decode error", err)
	}
}

func TestImporter(t *testing.T) {
	var im Importer
	pool := &storage.Pool{ID: "r:p"}
	orphan := &storage.Identity{PoolID: "r:p", ID: "r:i"}
	if _, err := im.Row(storage.Record{Identity: orphan}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("identity before its pool: %v, want ErrNotFound", err)
	}
	for _, r := range []storage.Record{{}, {Pool: pool, Identity: orphan}} {
		if _, err := im.Row(r); err == nil {
			t.Errorf("record of kind %q accepted", r.Kind())
		}
	}
	row, err := im.Row(storage.Record{Pool: pool})
	if err != nil || row.Kind != "pool" || row.Key != pool.ID || len(row.Args) != len(strings.Split(PoolColumns, ", ")) {
		t.Errorf("pool row = %+v, %v", row, err)
	}
	if row, err = im.Row(storage.Record{Identity: orphan}); err != nil || row.Kind != "identity" || row.Args != nil {
		t.Errorf("identity after its pool = %+v, %v", row, err)
	}
	if row, err = im.Row(storage.Record{Keys: &storage.Keys{}}); err != nil || row.Kind != "keys" || len(row.Args) != 1 {
		t.Errorf("keys row = %+v, %v", row, err)
	}
}
