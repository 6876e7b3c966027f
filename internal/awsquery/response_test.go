package awsquery

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idpool/idpool/internal/awserr"
)

func TestFromAuth(t *testing.T) {
	for _, tc := range []struct {
		code   awserr.Code
		want   string
		status int
	}{
		{awserr.MissingAuthenticationToken, "MissingAuthenticationToken", 403},
		{awserr.UnrecognizedClient, "InvalidClientTokenId", 403},
		{awserr.InvalidSignature, "SignatureDoesNotMatch", 403},
		{awserr.IncompleteSignature, "IncompleteSignature", 400},
		{awserr.AccessDenied, "AccessDenied", 403},
		{awserr.TooManyRequests, "Throttling", 400},
		{awserr.RequestEntityTooLarge, "RequestEntityTooLarge", 413},
	} {
		var e *Error
		if err := FromAuth(&awserr.Error{Code: tc.code, Message: "m"}); !errors.As(err, &e) || e.Code != tc.want || e.Status != tc.status {
			t.Errorf("FromAuth(%v) = %v", tc.code, err)
		}
	}
	internal := errors.New("boom")
	if err := FromAuth(internal); err != internal {
		t.Errorf("FromAuth(internal) = %v", err)
	}
}

func TestDecodeAndAction(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/?Action=Q&X=q", strings.NewReader("Action=B&Y=b;c"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	p, err := Decode(r, []byte("Action=B&Y=b;c"))
	if err != nil || p["Action"] != "Q" || p["X"] != "q" || p["Y"] != "b;c" {
		t.Fatalf("Decode = %v, %v", p, err)
	}
	if a, v, err := Action(p, "V"); a != "Q" || v != "V" || err != nil {
		t.Errorf("Action = %q, %q, %v", a, v, err)
	}
	var e *Error
	if _, _, err := Action(Params{"Action": ""}, "V"); !errors.As(err, &e) || e.Code != "MissingAction" {
		t.Errorf("Action without one: %v", err)
	}
	r = httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Content-Type", "application/json")
	if p, err := Decode(r, []byte("Action=B")); err != nil || len(p) != 0 {
		t.Errorf("Decode of a JSON body = %v, %v", p, err)
	}
}

func TestReadRequest(t *testing.T) {
	rec := httptest.NewRecorder()
	_, err := ReadRequest(rec, httptest.NewRequest(http.MethodPut, "/", nil), 10)
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, POST" {
		t.Errorf("PUT: %v", err)
	}
	_, err = ReadRequest(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("01234567890")), 10)
	if !errors.As(err, &e) || e.Code != "RequestEntityTooLarge" {
		t.Errorf("11 bytes over a limit of 10: %v", err)
	}
	if b, err := ReadRequest(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789")), 10); err != nil || string(b) != "0123456789" {
		t.Errorf("10 bytes: %q, %v", b, err)
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, "urn:svc", "rid", NewError("Bad", 400, "a <b> & %q", "c"))
	want := `<ErrorResponse xmlns="urn:svc"><Error><Type>Sender</Type><Code>Bad</Code><Message>a &lt;b&gt; &amp; &#34;c&#34;</Message></Error><RequestId>rid</RequestId></ErrorResponse>`
	if rec.Code != 400 || rec.Body.String() != want || rec.Header().Get("Content-Type") != ContentType {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteError(rec, "urn:svc", "rid", &Error{Code: "X", Status: 413, Namespace: "urn:fault"})
	if !strings.HasPrefix(rec.Body.String(), `<ErrorResponse xmlns="urn:fault"><Error><Type>Sender</Type>`) || rec.Header().Get("Connection") != "close" {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
