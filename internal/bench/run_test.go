package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCognito is a tiny Cognito Identity without IAM: pools, GetId and credentials, with
// a failure every failEvery-th GetCredentialsForIdentity.
type fakeCognito struct {
	mu        sync.Mutex
	pools     map[string]bool
	calls     map[string]int
	n         atomic.Int64
	failEvery int64
	unsigned  atomic.Int64
}

func (f *fakeCognito) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAFAKE/") {
		f.unsigned.Add(1)
	}
	fail := func(status int, typ, msg string) {
		w.Header().Set("X-Amzn-Errortype", typ+":")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
	}
	if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8" {
		fail(400, "UnknownOperationException", "no IAM here")
		return
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityService.")
	var in struct {
		IdentityPoolId string
		IdentityId     string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		fail(400, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	f.calls[op]++
	exists := f.pools[in.IdentityPoolId]
	f.mu.Unlock()
	switch op {
	case "CreateIdentityPool":
		id := fmt.Sprintf("us-east-1:%08d-0000-0000-0000-000000000000", f.n.Add(1))
		f.mu.Lock()
		f.pools[id] = true
		f.mu.Unlock()
		fmt.Fprintf(w, `{"IdentityPoolId":%q,"IdentityPoolName":"x"}`, id)
	case "DeleteIdentityPool":
		f.mu.Lock()
		delete(f.pools, in.IdentityPoolId)
		f.mu.Unlock()
	case "GetId":
		if !exists {
			fail(400, "ResourceNotFoundException", "no pool")
			return
		}
		fmt.Fprintf(w, `{"IdentityId":"us-east-1:%d"}`, f.n.Add(1))
	case "GetCredentialsForIdentity":
		if f.failEvery > 0 && f.n.Add(1)%f.failEvery == 0 {
			fail(400, "com.amazonaws#TooManyRequestsException", "slow down")
			return
		}
		fmt.Fprintf(w, `{"IdentityId":%q,"Credentials":{"AccessKeyId":"ASIA"}}`, in.IdentityId)
	default:
		fail(400, "UnknownOperationException", op)
	}
}

func newFake(t *testing.T) (*fakeCognito, string) {
	f := &fakeCognito{pools: map[string]bool{}, calls: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func runJSON(t *testing.T, args ...string) (int, *Report, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"--json", "--access-key-id", "AKIAFAKE", "--secret-access-key", "s"}, args...),
		env(nil), &out, &errb)
	if code != ExitOK {
		return code, nil, errb.String()
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return code, &r, errb.String()
}

func TestRunAgainstEndpointWithoutIAM(t *testing.T) {
	f, url := newFake(t)
	f.failEvery = 10
	code, r, stderr := runJSON(t, "--endpoint", url, "--scenario", "appstart", "--requests", "300", "-c", "4", "--warmup", "0")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if r.Iterations != 300 || len(r.Operations) != 2 {
		t.Fatalf("report %+v", r)
	}
	getID, creds := r.Operations[0], r.Operations[1]
	if getID.Operation != "GetId" || getID.Requests != 300 || getID.Errors != 0 {
		t.Errorf("GetId %+v", getID)
	}
	if creds.Operation != "GetCredentialsForIdentity" || creds.Requests != 300 || creds.Errors == 0 ||
		creds.ErrorsByType["TooManyRequestsException"] != creds.Errors || r.ErrorsByType["TooManyRequestsException"] != creds.Errors {
		t.Errorf("GetCredentialsForIdentity %+v", creds)
	}
	if r.Errors != creds.Errors || r.Requests != 600 {
		t.Errorf("totals %d requests %d errors", r.Requests, r.Errors)
	}
	if l := getID.LatencyUS; !(l.Min > 0 && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max && l.Mean > 0) {
		t.Errorf("latencies %+v", l)
	}
	// No IAM: a warning, no roles; the pool was deleted.
	if len(r.Setup.RoleNames) != 0 || len(r.Setup.Warnings) == 0 || !strings.Contains(r.Setup.Warnings[0], "CreateRole") ||
		r.Setup.Cleanup != "deleted" || !r.Setup.PoolCreated {
		t.Errorf("setup %+v", r.Setup)
	}
	if len(f.pools) != 0 || f.calls["DeleteIdentityPool"] != 1 || f.calls["SetIdentityPoolRoles"] != 0 {
		t.Errorf("pools left %v, calls %v", f.pools, f.calls)
	}
	// As AWS's SDKs do, the bench signs developer operations and not the public ones.
	if public := f.calls["GetId"] + f.calls["GetCredentialsForIdentity"]; f.unsigned.Load() != int64(public) {
		t.Errorf("%d unsigned requests, want the %d public ones", f.unsigned.Load(), public)
	}
	// Probes and setup are not counted: 300 measured iterations plus one probe each.
	if f.calls["GetId"] != 301 || f.calls["GetCredentialsForIdentity"] != 301 {
		t.Errorf("calls %v", f.calls)
	}
}

func TestScenarioRefusedWhenOperationMissing(t *testing.T) {
	f, url := newFake(t)
	for _, sc := range []string{"token", "lookup", "admin"} {
		code, _, stderr := runJSON(t, "--endpoint", url, "--scenario", sc, "--requests", "10", "--warmup", "0", "--users", "3")
		if code != ExitSetup || !strings.Contains(stderr, "does not seem to implement") {
			t.Errorf("%s: exit %d: %s", sc, code, stderr)
		}
	}
	if len(f.pools) != 0 {
		t.Errorf("pools left after refusals: %v", f.pools)
	}
}

func TestKeepAndExistingPool(t *testing.T) {
	f, url := newFake(t)
	code, r, stderr := runJSON(t, "--endpoint", url, "--scenario", "getid", "--requests", "5", "--warmup", "0", "--keep")
	if code != ExitOK || r.Setup.Cleanup != "kept" || len(f.pools) != 1 {
		t.Fatalf("keep: %d %s %v", code, stderr, f.pools)
	}
	// --pool-id: the pool is used (DescribeIdentityPool is missing: a warning) and kept.
	code, r2, stderr := runJSON(t, "--endpoint", url, "--scenario", "getid", "--requests", "5", "--warmup", "0", "--pool-id", r.Setup.PoolID)
	if code != ExitOK || r2.Setup.PoolCreated || r2.Setup.Cleanup != "none" || len(f.pools) != 1 || r2.Operations[0].Errors != 0 {
		t.Fatalf("pool-id: %d %s %+v", code, stderr, r2.Setup)
	}
}

func TestSignScenario(t *testing.T) {
	code, r, stderr := runJSON(t, "--scenario", "sign", "--requests", "20", "-c", "2", "--warmup", "0", "--key-bits", "1024")
	if code != ExitOK {
		t.Fatalf("%d %s", code, stderr)
	}
	if len(r.Operations) != 1 || r.Operations[0].Operation != "Sign" || r.Operations[0].Requests != 20 || r.Errors != 0 || r.Config.Endpoint != "" {
		t.Fatalf("%+v", r)
	}
	if s := newTestSigner(t); len(s.input) < 300 || len(s.input) > 500 {
		t.Errorf("signing input of %d bytes", len(s.input))
	}
}

func newTestSigner(t *testing.T) *signer {
	s, err := newSigner(1024)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTextReport(t *testing.T) {
	_, url := newFake(t)
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"--endpoint", url, "--scenario", "getid", "--duration", "300ms", "--warmup", "100ms", "-c", "2"}, env(nil), &out, &errb)
	if code != ExitOK {
		t.Fatalf("%d %s", code, errb.String())
	}
	for _, want := range []string{"scenario getid", "operation", "p99.9", "GetId", "iterations:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestInterruptedRunIsReportedAndCleanedUp(t *testing.T) {
	f, url := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"--json", "--endpoint", url, "--scenario", "getid", "--duration", "1m", "--warmup", "0", "-c", "2"}, env(nil), &out, &errb)
	}()
	for f.n.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Iterations == 0 || r.Errors != 0 || r.Setup.Cleanup != "deleted" || len(f.pools) != 0 {
		t.Fatalf("%+v %s", r, errb.String())
	}
}
