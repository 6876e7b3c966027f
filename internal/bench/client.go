package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// op is an operation the bench measures.
type op int

const (
	opGetId op = iota
	opGetCredentials
	opDeveloperToken
	opDescribePool
	opListIdentities
	opLookup
	opSign
	numOps
)

var opNames = [numOps]string{
	opGetId:          "GetId",
	opGetCredentials: "GetCredentialsForIdentity",
	opDeveloperToken: "GetOpenIdTokenForDeveloperIdentity",
	opDescribePool:   "DescribeIdentityPool",
	opListIdentities: "ListIdentities",
	opLookup:         "LookupDeveloperIdentity",
	opSign:           "Sign",
}

func (o op) String() string { return opNames[o] }

// opTargets holds each operation's X-Amz-Target header value, ready to be put in a
// request's header map without allocating.
var opTargets = func() (t [numOps][]string) {
	for o := range numOps {
		t[o] = []string{"AWSCognitoIdentityService." + opNames[o]}
	}
	return t
}()

// Setup operations, sent through the same path but never measured.
const (
	targetCreatePool = "AWSCognitoIdentityService.CreateIdentityPool"
	targetDeletePool = "AWSCognitoIdentityService.DeleteIdentityPool"
	targetSetRoles   = "AWSCognitoIdentityService.SetIdentityPoolRoles"
)

const (
	serviceCognito = "cognito-identity"
	serviceIAM     = "iam"
	jsonType       = "application/x-amz-json-1.1"
	// maxResponse bounds what is read of a response body.
	maxResponse = 4 << 20
)

// endpoint is what every client shares: the URL, the signer and one transport.
type endpoint struct {
	url    *url.URL
	region string
	creds  aws.Credentials
	signer *v4.Signer
	tr     *http.Transport
}

func newEndpoint(cfg *Config) (*endpoint, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if u.Path == "" {
		u.Path = "/"
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true) // no HTTP/2, even over TLS
	tr := &http.Transport{
		Proxy:                 nil, // a bench measures the endpoint, not a proxy
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          cfg.Concurrency,
		MaxIdleConnsPerHost:   cfg.Concurrency,
		MaxConnsPerHost:       cfg.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		Protocols:             protocols,
		// A request (headers and body) is written in one flush, so a request body is
		// never read after the server can have answered: clients reuse their bodies.
		WriteBufferSize: 64 << 10,
	}
	return &endpoint{
		url:    u,
		region: cfg.Region,
		creds:  aws.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, Source: "idpool bench"},
		signer: v4.NewSigner(),
		tr:     tr,
	}, nil
}

// bodyReader is a request body a client reuses: a bytes.Reader whose Close does nothing.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// client is one of the bench's concurrent clients. Everything it sends and receives
// goes through buffers it reuses; it is used by one goroutine only.
type client struct {
	ep  *endpoint
	ctx context.Context
	id  int
	rng *rand.Rand

	req      *http.Request
	body     *bodyReader
	getBody  func() (io.ReadCloser, error)
	buf      []byte // the request body being built
	resp     []byte // the last response body
	hash     [64]byte
	lastMsg  string // message of the last error response
	lastType string // error type of the last request sent through bench.send

	// raw and signer replace net/http and the SDK signer for http:// endpoints.
	raw     *rawConn
	signer  *rawSigner
	scratch []byte

	stats [numOps]*opStats
}

func newClient(ctx context.Context, ep *endpoint, id int, seed uint64) *client {
	c := &client{ep: ep, ctx: ctx, id: id, rng: rand.New(rand.NewPCG(seed, uint64(id)+1)),
		buf: make([]byte, 0, 2048), resp: make([]byte, 0, 4096)}
	c.newRequest()
	if ep.url.Scheme == "http" {
		addr := ep.url.Host
		if ep.url.Port() == "" {
			addr = net.JoinHostPort(ep.url.Hostname(), "80")
		}
		c.raw = &rawConn{addr: addr, host: ep.url.Host, path: ep.url.EscapedPath(), req: make([]byte, 0, 4096)}
		c.signer = &rawSigner{accessKeyID: ep.creds.AccessKeyID, secret: ep.creds.SecretAccessKey, region: ep.region,
			service: serviceCognito, host: ep.url.Host, path: ep.url.EscapedPath()}
		c.scratch = make([]byte, 0, 1024)
	}
	return c
}

// newRequest makes the request the client reuses. After a transport error the old one
// may still be referenced by the transport, so a new one is made.
func (c *client) newRequest() {
	u := *c.ep.url // SignHTTP writes the URL's RawQuery: each client has its own
	c.body = &bodyReader{}
	body := c.body
	c.getBody = func() (io.ReadCloser, error) {
		body.Seek(0, io.SeekStart)
		return body, nil
	}
	req := (&http.Request{
		Method:     http.MethodPost,
		URL:        &u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, 8),
		Host:       u.Host,
	}).WithContext(c.ctx)
	req.Header["Content-Type"] = []string{jsonType}
	c.req = req
}

// result is the outcome of one request.
type result struct {
	typ       string // error type, "" on success
	latency   time.Duration
	cancelled bool // the run's context ended the request: not counted
}

// call sends c.buf with the given X-Amz-Target header, signed, and reads the response
// into c.resp.
func (c *client) call(target []string) result {
	if c.raw != nil {
		return c.callRaw(target[0])
	}
	req := c.req
	req.Header["X-Amz-Target"] = target
	c.body.Reset(c.buf)
	req.Body = c.body
	req.GetBody = c.getBody
	req.ContentLength = int64(len(c.buf))
	sum := sha256.Sum256(c.buf)
	hex.Encode(c.hash[:], sum[:])
	if err := c.ep.signer.SignHTTP(c.ctx, c.ep.creds, req, string(c.hash[:]), serviceCognito, c.ep.region, time.Now()); err != nil {
		c.lastMsg = err.Error()
		return result{typ: ErrTransport}
	}
	return c.roundTrip(req)
}

// close closes the client's own connection, if it has one.
func (c *client) close() {
	if c.raw != nil {
		c.raw.close()
	}
}

// publicTargets are the operations AWS's SDKs send unsigned (the model's authtype
// none); the bench sends them as those SDKs do.
var publicTargets = map[string]bool{
	"AWSCognitoIdentityService.GetId":                     true,
	"AWSCognitoIdentityService.GetCredentialsForIdentity": true,
	"AWSCognitoIdentityService.GetOpenIdToken":            true,
	"AWSCognitoIdentityService.UnlinkIdentity":            true,
}

// callRaw is call over the client's own connection (rawhttp.go).
func (c *client) callRaw(target string) result {
	var date, auth string
	if !publicTargets[target] {
		date, auth = c.signer.sign(target, c.buf, time.Now(), c.scratch)
	}
	start := time.Now()
	resp, err := c.raw.do(target, c.buf, date, auth, c.resp[:cap(c.resp)])
	lat := time.Since(start)
	if err != nil {
		c.lastMsg = err.Error()
		return result{typ: ErrTransport, latency: lat, cancelled: c.ctx.Err() != nil}
	}
	c.resp = resp.body
	if resp.status >= 300 {
		typ, msg := ClassifyError(resp.status, resp.errType, c.resp)
		c.lastMsg = msg
		return result{typ: typ, latency: lat}
	}
	return result{latency: lat}
}

func (c *client) roundTrip(req *http.Request) result {
	start := time.Now()
	resp, err := c.ep.tr.RoundTrip(req)
	if err != nil {
		c.newRequest()
		c.lastMsg = err.Error()
		return result{typ: ErrTransport, latency: time.Since(start), cancelled: c.ctx.Err() != nil}
	}
	c.resp, err = readBody(c.resp[:0], resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	if err != nil {
		c.newRequest()
		c.lastMsg = err.Error()
		return result{typ: ErrTransport, latency: lat, cancelled: c.ctx.Err() != nil}
	}
	if resp.StatusCode >= 300 {
		typ, msg := ClassifyError(resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), c.resp)
		c.lastMsg = msg
		return result{typ: typ, latency: lat}
	}
	return result{latency: lat}
}

// readBody appends r's content to b, up to maxResponse bytes.
func readBody(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			if len(b) >= maxResponse {
				return b, fmt.Errorf("response larger than %d bytes", maxResponse)
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// query sends an IAM Query-protocol action (setup only: not measured, allocates freely)
// and returns the status and body.
func (c *client) query(ctx context.Context, form url.Values) (int, []byte, error) {
	body := form.Encode()
	u := *c.ep.url
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := c.ep.signer.SignHTTP(ctx, c.ep.creds, req, hex.EncodeToString(sum[:]), serviceIAM, c.ep.region, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := c.ep.tr.RoundTrip(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := readBody(nil, resp.Body)
	return resp.StatusCode, b, err
}

// opStats are one client's (or, merged, the run's) figures for one operation.
type opStats struct {
	requests uint64
	errors   uint64
	hist     *Histogram
	errTypes map[string]uint64
}

func (c *client) record(o op, r result) {
	s := c.stats[o]
	if s == nil {
		s = &opStats{hist: NewHistogram()}
		c.stats[o] = s
	}
	s.requests++
	if r.typ != "" {
		s.errors++
		if s.errTypes == nil {
			s.errTypes = make(map[string]uint64)
		}
		s.errTypes[r.typ]++
	}
	if r.typ != ErrTransport {
		s.hist.Record(r.latency)
	}
}

func (s *opStats) merge(o *opStats) {
	s.requests += o.requests
	s.errors += o.errors
	s.hist.Merge(o.hist)
	for t, n := range o.errTypes {
		if s.errTypes == nil {
			s.errTypes = make(map[string]uint64)
		}
		s.errTypes[t] += n
	}
}
