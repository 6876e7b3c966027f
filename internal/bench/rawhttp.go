package bench

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// The bench shares its machine with the server it measures, so every microsecond of CPU
// it spends per request is taken from the server. net/http's client and the SDK's signer
// cost about 80 µs a request here; this keep-alive HTTP/1.1 client and SigV4 signer
// write each request with one append into a reused buffer and parse only what the bench
// reads of a response (status, Content-Length or chunked framing, x-amzn-ErrorType,
// Connection), for a few microseconds. It is used for http:// endpoints; https:// goes
// through net/http.

// rawConn is one client's connection, reopened after an error or a "Connection: close".
type rawConn struct {
	addr string
	host string // the Host header
	path string
	conn net.Conn
	r    *bufio.Reader
	req  []byte // the request being written
}

// rawResponse is what the bench reads of a response.
type rawResponse struct {
	status  int
	errType string // x-amzn-ErrorType
	body    []byte
}

// do sends one POST with body and the given X-Amz-Target, with an Authorization header
// when auth is not empty, and reads the response body into buf.
func (rc *rawConn) do(target string, body []byte, date, auth string, buf []byte) (rawResponse, error) {
	if rc.conn == nil {
		c, err := net.DialTimeout("tcp", rc.addr, 10*time.Second)
		if err != nil {
			return rawResponse{}, err
		}
		rc.conn = c
		if rc.r == nil {
			rc.r = bufio.NewReaderSize(c, 16<<10)
		} else {
			rc.r.Reset(c)
		}
	}
	// A server that stops answering must not hang the bench.
	_ = rc.conn.SetDeadline(time.Now().Add(60 * time.Second))
	b := rc.req[:0]
	b = append(b, "POST "...)
	b = append(b, rc.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, rc.host...)
	b = append(b, "\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: "...)
	b = append(b, target...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	if auth != "" {
		b = append(b, "\r\nX-Amz-Date: "...)
		b = append(b, date...)
		b = append(b, "\r\nAuthorization: "...)
		b = append(b, auth...)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	rc.req = b
	if _, err := rc.conn.Write(b); err != nil {
		rc.close()
		return rawResponse{}, err
	}
	resp, keep, err := readResponse(rc.r, buf)
	if err != nil || !keep {
		rc.close()
	}
	return resp, err
}

func (rc *rawConn) close() {
	if rc.conn != nil {
		rc.conn.Close()
		rc.conn = nil
	}
}

var (
	errMalformed = errors.New("malformed HTTP response")
	crlf         = []byte("\r\n")
)

// readResponse reads one HTTP/1.1 response; keep reports whether the connection may be
// reused.
func readResponse(r *bufio.Reader, buf []byte) (resp rawResponse, keep bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return resp, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return resp, false, errMalformed
	}
	resp.status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return resp, false, errMalformed
	}
	keep = line[7] == '1' // HTTP/1.1 keeps the connection unless told otherwise
	length, chunked := -1, false
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return resp, false, err
		}
		line = bytes.TrimSuffix(line, crlf)
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return resp, false, errMalformed
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case asciiEqualFold(name, "Content-Length"):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return resp, false, errMalformed
			}
		case asciiEqualFold(name, "Transfer-Encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "Connection"):
			if asciiEqualFold(value, "close") {
				keep = false
			}
		case asciiEqualFold(name, "X-Amzn-Errortype"):
			resp.errType = string(value)
		}
	}
	switch {
	case chunked:
		resp.body, err = readChunked(r, buf[:0])
	case length >= 0:
		if length > maxResponse {
			return resp, false, fmt.Errorf("response larger than %d bytes", maxResponse)
		}
		if cap(buf) < length {
			buf = make([]byte, length)
		}
		resp.body = buf[:length]
		_, err = io.ReadFull(r, resp.body)
	default: // the body runs to the end of the connection
		resp.body, err = readBody(buf[:0], r)
		keep = false
	}
	return resp, keep && err == nil, err
}

func readChunked(r *bufio.Reader, b []byte) ([]byte, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return b, err
		}
		line = bytes.TrimSuffix(line, crlf)
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 32)
		if err != nil {
			return b, errMalformed
		}
		if n == 0 { // trailers, then the blank line
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return b, err
				}
				if len(bytes.TrimSuffix(line, crlf)) == 0 {
					return b, nil
				}
			}
		}
		if len(b)+int(n) > maxResponse {
			return b, fmt.Errorf("response larger than %d bytes", maxResponse)
		}
		start := len(b)
		b = append(b, make([]byte, n)...)
		if _, err := io.ReadFull(r, b[start:]); err != nil {
			return b, err
		}
		if _, err := r.Discard(2); err != nil { // the chunk's CRLF
			return b, err
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// rawSigner signs the bench's requests with SigV4 over exactly the headers rawConn
// sends: content-type, host, x-amz-date and x-amz-target. The signing key is derived
// once a day.
type rawSigner struct {
	accessKeyID, secret, region, service, host, path string
	day                                              string
	key                                              []byte
}

// sign returns the X-Amz-Date and Authorization values of a request.
func (s *rawSigner) sign(target string, body []byte, now time.Time, scratch []byte) (date, auth string) {
	now = now.UTC()
	date = now.Format("20060102T150405Z")
	day := date[:8]
	if day != s.day {
		k := hmacSum([]byte("AWS4"+s.secret), day)
		k = hmacSum(k, s.region)
		k = hmacSum(k, s.service)
		s.key, s.day = hmacSum(k, "aws4_request"), day
	}
	bodySum := sha256.Sum256(body)
	c := scratch[:0]
	c = append(c, "POST\n"...)
	c = append(c, s.path...)
	c = append(c, "\n\ncontent-type:application/x-amz-json-1.1\nhost:"...)
	c = append(c, s.host...)
	c = append(c, "\nx-amz-date:"...)
	c = append(c, date...)
	c = append(c, "\nx-amz-target:"...)
	c = append(c, target...)
	c = append(c, "\n\ncontent-type;host;x-amz-date;x-amz-target\n"...)
	c = hex.AppendEncode(c, bodySum[:])
	canonSum := sha256.Sum256(c)
	scope := day + "/" + s.region + "/" + s.service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(canonSum[:])
	sig := hmacSum(s.key, sts)
	auth = "AWS4-HMAC-SHA256 Credential=" + s.accessKeyID + "/" + scope +
		", SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + hex.EncodeToString(sig)
	return date, auth
}

func hmacSum(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
