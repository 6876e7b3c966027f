package sigv4

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/idpool/idpool/internal/awserr"
)

// TestRealClients sends requests from the AWS SDK's own clients over real HTTP, so that what
// is verified is what net/http hands a server (Host with a port, ContentLength, canonicalised
// header names), not a request built in process.
func TestRealClients(t *testing.T) {
	v := &Verifier{Region: testRegion, Credentials: testCreds} // the real clock
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		service := testService
		if r.Method == http.MethodGet {
			service = "sts"
		}
		if _, err := v.Verify(r.Context(), r, body, service); err != nil {
			var ae *awserr.Error
			if !errors.As(err, &ae) {
				ae = awserr.New(awserr.InternalError, err.Error())
			}
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-Errortype", ae.Code.Name()+":")
			w.WriteHeader(ae.Code.Status())
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Code.Name(), "message": ae.Message})
			return
		}
		if service == "sts" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"IdentityPools":[]}`)
	}))
	defer srv.Close()

	cognito := func(akid, secret, token string) *cognitoidentity.Client {
		return cognitoidentity.New(cognitoidentity.Options{
			Region:           testRegion,
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, token),
			RetryMaxAttempts: 1,
		})
	}
	tests := []struct {
		name     string
		client   *cognitoidentity.Client
		wantCode string // "" means success
	}{
		{"long-term key", cognito(testAKID, testSecret, ""), ""},
		{"temporary key", cognito(tempAKID, tempSecret, tempToken), ""},
		{"wrong secret", cognito(testAKID, "wrong", ""), "InvalidSignatureException"},
		{"unknown key", cognito("AKIDUNKNOWN", testSecret, ""), "UnrecognizedClientException"},
		{"wrong session token", cognito(tempAKID, tempSecret, "forged"), "UnrecognizedClientException"},
	}
	for _, tc := range tests {
		t.Run("cognito-identity "+tc.name, func(t *testing.T) {
			_, err := tc.client.ListIdentityPools(context.Background(), &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("ListIdentityPools: %v", err)
				}
				return
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
				t.Fatalf("error = %v, want %s", err, tc.wantCode)
			}
		})
	}

	t.Run("sts presigned GetCallerIdentity", func(t *testing.T) {
		client := sts.New(sts.Options{
			Region:       testRegion,
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider(tempAKID, tempSecret, tempToken),
		})
		pre, err := sts.NewPresignClient(client).PresignGetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(pre.Method, pre.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range pre.SignedHeader {
			if k != "Host" {
				req.Header[k] = vs
			}
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s\nURL: %s", resp.StatusCode, msg, pre.URL)
		}
	})
}
