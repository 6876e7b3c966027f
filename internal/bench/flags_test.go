package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseFlagsDefaults(t *testing.T) {
	var errb bytes.Buffer
	c, err := ParseFlags(nil, env(nil), &errb)
	if err != nil {
		t.Fatal(err, errb.String())
	}
	want := Config{Endpoint: "http://127.0.0.1:4577", Region: "us-east-1", AccessKeyID: "bench", SecretAccessKey: "bench",
		Scenario: "appstart", Concurrency: 32, Duration: 10 * time.Second, Warmup: time.Second, Users: 10000,
		Identities: 1000, MaxPages: 5, KeyBits: 2048}
	if *c != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", *c, want)
	}
}

func TestParseFlagsEnvironmentAndFlags(t *testing.T) {
	e := env(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envsecret"})
	c, err := ParseFlags([]string{"--scenario", "mix", "-c", "4", "--requests=200", "--warmup", "0", "--json", "--keep",
		"--endpoint", "https://cognito-identity.eu-west-1.amazonaws.com", "--region", "eu-west-1", "--seed", "7",
		"--users", "5", "--identities", "6", "--max-pages", "2", "--key-bits", "3072", "--pool-id", "eu-west-1:abc"}, e, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Endpoint: "https://cognito-identity.eu-west-1.amazonaws.com", Region: "eu-west-1", AccessKeyID: "AKIAENV",
		SecretAccessKey: "envsecret", Scenario: "mix", Concurrency: 4, Duration: 10 * time.Second, Requests: 200, Warmup: 0,
		Users: 5, Identities: 6, MaxPages: 2, KeyBits: 3072, PoolID: "eu-west-1:abc", Keep: true, JSON: true, Seed: 7}
	if *c != want {
		t.Fatalf("\n got %+v\nwant %+v", *c, want)
	}
	// Flags win over the environment; --concurrency and -c are the same flag.
	c, err = ParseFlags([]string{"--access-key-id", "AKIAFLAG", "--secret-access-key", "flagsecret", "--concurrency", "9"}, e, &bytes.Buffer{})
	if err != nil || c.AccessKeyID != "AKIAFLAG" || c.SecretAccessKey != "flagsecret" || c.Concurrency != 9 {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--scenario", "nope"},
		{"-c", "0"},
		{"--concurrency", "-3"},
		{"--duration", "0"},
		{"--duration", "-1s"},
		{"--requests", "-1"},
		{"--warmup", "-1s"},
		{"--users", "0"},
		{"--identities", "0"},
		{"--max-pages", "0"},
		{"--key-bits", "512"},
		{"--endpoint", "127.0.0.1:4577"},
		{"--endpoint", "ftp://host"},
		{"--endpoint", "http://host/?x=1"},
		{"--region", ""},
		{"--bogus"},
		{"--duration", "ten"},
		{"extra"},
	} {
		var errb bytes.Buffer
		if _, err := ParseFlags(args, env(nil), &errb); err == nil || errb.Len() == 0 {
			t.Errorf("%v: err %v, stderr %q", args, err, errb.String())
		}
	}
	// --requests makes a zero duration fine.
	if _, err := ParseFlags([]string{"--requests", "5", "--duration", "0"}, env(nil), &bytes.Buffer{}); err != nil {
		t.Error(err)
	}
}

func TestMainExitCodes(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := Main(ctx, []string{"-h"}, env(nil), &out, &errb); code != ExitOK || !strings.Contains(errb.String(), "appstart") {
		t.Errorf("-h: %d %q", code, errb.String())
	}
	// The usage text never shows a secret from the environment.
	if strings.Contains(errb.String(), "envsecret") {
		t.Error("usage shows the secret")
	}
	if code := Main(ctx, []string{"--scenario", "x"}, env(nil), &out, &errb); code != ExitBadFlags {
		t.Errorf("bad flag: %d", code)
	}
	// Nothing listens on port 1: setup fails.
	errb.Reset()
	if code := Main(ctx, []string{"--endpoint", "http://127.0.0.1:1", "--requests", "1"}, env(nil), &out, &errb); code != ExitSetup ||
		!strings.Contains(errb.String(), "CreateIdentityPool") {
		t.Errorf("no server: %d %q", code, errb.String())
	}
	_, err := ParseFlags([]string{"-help"}, env(map[string]string{"AWS_SECRET_ACCESS_KEY": "envsecret"}), &errb)
	if !errors.Is(err, flag.ErrHelp) || strings.Contains(errb.String(), "envsecret") {
		t.Errorf("help: %v", err)
	}
}
