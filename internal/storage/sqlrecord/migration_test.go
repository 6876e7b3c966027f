package sqlrecord

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrationsRejectsBadSets(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": file("SELECT 1"), "m/0003_c.sql": file("SELECT 1")},
		"not one":   {"m/0002_b.sql": file("SELECT 1")},
		"bad name":  {"m/0001_a.sql": file("SELECT 1"), "m/2_b.sql": file("SELECT 1")},
		"other ext": {"m/0001_a.sql": file("SELECT 1"), "m/0002_b.txt": file("SELECT 1")},
	} {
		if _, err := LoadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: LoadMigrations accepted the set", name)
		}
	}
	ms, err := LoadMigrations(fstest.MapFS{"m/0001_a.sql": file("x"), "m/0002_b_c.sql": file("y")}, "m")
	if err != nil || len(ms) != 2 || ms[1] != (Migration{Version: 2, Name: "b_c", SQL: "y"}) {
		t.Errorf("LoadMigrations = %+v, %v", ms, err)
	}
}
