package bench

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	for name, c := range map[string]struct {
		in, body, errType string
		status            int
		keep, fail        bool
	}{
		"length":  {in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", body: "hello", status: 200, keep: true},
		"chunked": {in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nTrailer: t\r\n\r\n", body: "hello", status: 200, keep: true},
		"error": {in: "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: ValidationException:http://internal\r\ncontent-length: 2\r\n\r\n{}",
			body: "{}", status: 400, errType: "ValidationException:http://internal", keep: true},
		"close":     {in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 200},
		"to EOF":    {in: "HTTP/1.0 200 OK\r\n\r\nrest", body: "rest", status: 200},
		"garbage":   {in: "SMTP ready\r\n", fail: true},
		"bad chunk": {in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", fail: true},
		"short":     {in: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhi", fail: true},
	} {
		t.Run(name, func(t *testing.T) {
			resp, keep, err := readResponse(bufio.NewReader(strings.NewReader(c.in)), make([]byte, 0, 4))
			if c.fail {
				if err == nil {
					t.Fatalf("accepted: %+v", resp)
				}
				return
			}
			if err != nil || resp.status != c.status || string(resp.body) != c.body || resp.errType != c.errType || keep != c.keep {
				t.Fatalf("got %d %q %q keep=%v err=%v", resp.status, resp.body, resp.errType, keep, err)
			}
		})
	}
}

func FuzzReadResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n0\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		resp, _, err := readResponse(bufio.NewReader(strings.NewReader(in)), nil)
		if err == nil && len(resp.body) > len(in) {
			t.Fatalf("body of %d bytes from %d bytes of input", len(resp.body), len(in))
		}
	})
}
