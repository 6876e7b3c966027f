package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := ParseServe(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:4577" || c.Region != "us-east-1" || c.AccountID != "000000000000" ||
		c.IssuerURL != "" || c.Auth != AuthSigV4 || c.DataDir != "./idpool-data" || c.MaxRulesPerMapping != 25 {
		t.Fatalf("%+v", c)
	}
}

func TestFlagWinsOverEnvironment(t *testing.T) {
	c, err := ParseServe([]string{"--region", "eu-west-1"}, env(map[string]string{
		"IDPOOL_REGION": "us-west-2", "IDPOOL_LISTEN": "127.0.0.1:9999", "IDPOOL_MAX_POOLS_PER_ACCOUNT": "7",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-1" || c.Listen != "127.0.0.1:9999" || c.MaxPoolsPerAccount != 7 {
		t.Fatalf("%+v", c)
	}
}

func TestRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--region", "mars"},
		{"--account-id", "12"},
		{"--auth", "maybe"},
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--listen", "nohost"},
		{"--access-key-id", "AKIAONLYTHEKEY000000"},
		{"--access-key-id", "short", "--secret-access-key", "0123456789abcdef"},
		{"--database-url", "mysql://u:hunter2@db/idpool"},
		{"--database-max-conns", "-1"},
		{"--database-max-conns", "4294967297"}, // would wrap to 1 as an int32
		{"--key-refresh-interval", "-1s"},
		{"--max-rules-per-mapping", "0"},
		{"--max-rules-per-mapping", "401"},
		{"extra"},
	} {
		_, err := ParseServe(args, env(nil), io.Discard)
		if err == nil {
			t.Errorf("%v accepted", args)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
}

func TestGeneratedCredentialsPersist(t *testing.T) {
	dir := t.TempDir()
	c, err := ParseServe([]string{"--data-dir", dir}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureCredentials(); err != nil {
		t.Fatal(err)
	}
	gen := c.GeneratedCredential
	if gen == nil || !strings.HasPrefix(gen.AccessKeyID, "AKIA") || len(gen.AccessKeyID) != 20 || len(gen.SecretAccessKey) != 40 || gen.AccountID != "000000000000" {
		t.Fatalf("generated %+v", gen)
	}
	st, err := os.Stat(filepath.Join(dir, generatedCredentialsFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}

	again, _ := ParseServe([]string{"--data-dir", dir}, env(nil), io.Discard)
	if err := again.EnsureCredentials(); err != nil {
		t.Fatal(err)
	}
	if again.GeneratedCredential != nil || len(again.Credentials) != 1 || again.Credentials[0] != *gen {
		t.Fatalf("second start: %+v", again)
	}
}

func TestCredentialsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.json")
	os.WriteFile(path, []byte(`{"credentials":[{"access_key_id":"AKIAAAAAAAAAAAAAAAAA","secret_access_key":"0123456789abcdef0123","account_id":"111111111111"},
		{"access_key_id":"AKIABBBBBBBBBBBBBBBB","secret_access_key":"0123456789abcdef0123","account_id":"222222222222"}]}`), 0o600)
	c, err := ParseServe([]string{"--credentials-file", path}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Credentials) != 2 || c.Credentials[1].AccountID != "222222222222" {
		t.Fatalf("%+v", c.Credentials)
	}
	if err := c.EnsureCredentials(); err != nil || c.GeneratedCredential != nil {
		t.Fatalf("configured credentials must not be replaced: %v", err)
	}
}
