package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/cognito"
)

type allowAll struct{}

func (allowAll) Authenticate(context.Context, *http.Request, []byte, bool) (cognito.Caller, error) {
	return cognito.Caller{AccountID: "123456789012"}, nil
}

func TestEveryOperationRouted(t *testing.T) {
	h := New(Config{Service: cognito.New(cognito.Config{Region: "us-east-1"}), Auth: allowAll{}})
	if len(h.routes) != len(api.Operations) {
		t.Fatalf("%d routes for %d operations", len(h.routes), len(api.Operations))
	}
	calls := operations(nil)
	for name := range calls {
		if _, ok := api.OperationByName(name); !ok {
			t.Errorf("route %s is not an operation of the model", name)
		}
	}
	for _, op := range api.Operations {
		if _, ok := calls[op.Name]; !ok {
			t.Errorf("operation %s has no method", op.Name)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, body string
		code       awserr.Code
	}{
		{"empty is no input", ``, 0},
		{"whitespace is no input", " \n", 0},
		{"object", `{"MaxResults": 3}`, 0},
		{"unknown members ignored", `{"MaxResults": 3, "Whatever": [1]}`, 0},
		{"truncated", `{"MaxResults": `, awserr.Serialization},
		{"array", `[]`, awserr.Serialization},
		{"string for number", `{"MaxResults": "3"}`, awserr.Serialization},
		{"number out of range", `{"MaxResults": 1e12}`, awserr.Serialization},
		{"trailing garbage", `{} x`, awserr.Serialization},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in api.ListIdentityPoolsInput
			err := decode([]byte(tc.body), &in)
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.Message == "" {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// FuzzHandler sends arbitrary bodies to every operation: the answer is always a
// well-formed AWS response, never a panic or a 500.
func FuzzHandler(f *testing.F) {
	f.Add("ListIdentityPools", []byte(`{"MaxResults":3}`))
	f.Add("CreateIdentityPool", []byte(`{"IdentityPoolName":"x","AllowUnauthenticatedIdentities":true,"IdentityPoolTags":{"a":"b"}}`))
	f.Add("DescribeIdentityPool", []byte(`{"IdentityPoolId":"us-east-1:00000000-0000-4000-8000-000000000000"}`))
	f.Add("SetIdentityPoolRoles", []byte(`{"IdentityPoolId":"x:1","Roles":{"a":"b"},"RoleMappings":{"k":{"Type":"Rules"}}}`))
	h := New(Config{Service: cognito.New(cognito.Config{Region: "us-east-1", Store: nil}), Auth: allowAll{}})
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if _, ok := api.OperationByName(op); !ok {
			op = "ListIdentityPools"
		}
		// Only inputs that fail before reaching storage are exercised: this store is nil.
		var probe map[string]any
		if json.Unmarshal(body, &probe) == nil {
			return
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", api.TargetPrefix+"."+op)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 400 && w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var env struct {
			Type string `json:"__type"`
		}
		if w.Code == 400 && (json.Unmarshal(w.Body.Bytes(), &env) != nil || env.Type == "") {
			t.Fatalf("not an AWS error: %s", w.Body)
		}
	})
}
