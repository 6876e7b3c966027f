package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/cognito"
	"github.com/idpool/idpool/internal/ids"
)

// ContentType is the media type of requests and responses.
const ContentType = "application/x-amz-json-1.1"

// DefaultMaxBodyBytes bounds request bodies; the largest legitimate Cognito request (a
// pool with every provider and tag at its limits) is far below it.
const DefaultMaxBodyBytes = 1 << 20

// Authenticator establishes who sent a request. public is true for the operations AWS
// models as unsigned (GetId, GetOpenIdToken, GetCredentialsForIdentity, UnlinkIdentity):
// they must work without a signature.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, public bool) (cognito.Caller, error)
}

// Observer records one finished request of an operation.
type Observer interface {
	Observe(outcome string, d time.Duration)
}

// Config wires a Handler.
type Config struct {
	Service      *cognito.Service
	Auth         Authenticator
	Logger       *slog.Logger
	MaxBodyBytes int64
	// Observe returns the metrics handle of an operation; nil disables metrics.
	Observe func(operation string) Observer
}

// Handler serves the Cognito Identity API.
type Handler struct {
	auth    Authenticator
	log     *slog.Logger
	maxBody int64
	routes  map[string]*route // by full X-Amz-Target value
	unknown Observer
}

type call func(ctx context.Context, c cognito.Caller, body []byte) (any, error)

type route struct {
	name   string
	public bool
	run    call
	obs    Observer
}

type nopObserver struct{}

func (nopObserver) Observe(string, time.Duration) {}

// New builds the handler with every operation of the model routed.
func New(cfg Config) *Handler {
	h := &Handler{
		auth:    cfg.Auth,
		log:     cfg.Logger,
		maxBody: cfg.MaxBodyBytes,
		routes:  make(map[string]*route, len(api.Operations)),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	observe := cfg.Observe
	if observe == nil {
		observe = func(string) Observer { return nopObserver{} }
	}
	calls := operations(cfg.Service)
	for _, op := range api.Operations {
		// TestEveryOperationRouted guarantees every operation of the model has a method.
		h.routes[api.TargetPrefix+"."+op.Name] = &route{name: op.Name, public: op.Public, run: calls[op.Name], obs: observe(op.Name)}
	}
	h.unknown = observe("unknown")
	return h
}

// validator is implemented by every generated input type.
type validator interface{ Validate() error }

// bind adapts a typed operation to the shared phases: decode the body into the model's
// input type, validate it against the model, run.
func bind[In any, Out any](fn func(context.Context, cognito.Caller, *In) (*Out, error)) call {
	return func(ctx context.Context, c cognito.Caller, body []byte) (any, error) {
		in := new(In)
		if err := decode(body, in); err != nil {
			return nil, err
		}
		if v, ok := any(in).(validator); ok {
			if err := v.Validate(); err != nil {
				return nil, awserr.New(awserr.Validation, err.Error())
			}
		}
		out, err := fn(ctx, c, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

func decode(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return awserr.Newf(awserr.Serialization, "Expected a JSON object as the request body, found %s.", typeErr.Value)
		}
		return awserr.Newf(awserr.Serialization, "Unexpected %s for member %s; expected %s.", typeErr.Value, field, jsonKind(typeErr.Type.String()))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return awserr.Newf(awserr.Serialization, "The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	}
	// Time and other custom decoders report their own errors.
	return awserr.New(awserr.Serialization, "The request body could not be deserialized.")
}

// jsonKind names the JSON type a Go type is decoded from, for error messages.
func jsonKind(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a map"
	}
	return "an object"
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ServeHTTP handles POST / requests carrying X-Amz-Target.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := ids.GUID()
	hdr := w.Header()
	hdr["X-Amzn-Requestid"] = []string{reqID}

	rt := h.routes[r.Header.Get("X-Amz-Target")]
	if rt == nil {
		err := awserr.Newf(awserr.UnknownOperation, "Operation %s is not known to this service.", r.Header.Get("X-Amz-Target"))
		if r.Header.Get("X-Amz-Target") == "" {
			err = awserr.New(awserr.UnknownOperation, "Missing X-Amz-Target header.")
		}
		h.writeError(w, r, reqID, "", err)
		h.unknown.Observe(err.Code.Name(), time.Since(start))
		return
	}
	if r.Method != http.MethodPost {
		h.finish(w, r, rt, reqID, start, nil, awserr.Newf(awserr.UnknownOperation, "%s requires POST.", rt.name))
		return
	}

	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // do not keep rare huge buffers alive
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.finish(w, r, rt, reqID, start, nil, awserr.Newf(awserr.RequestEntityTooLarge, "Request body exceeds the limit of %d bytes.", h.maxBody))
			return
		}
		h.log.Debug("reading request body", "request_id", reqID, "err", err)
		h.finish(w, r, rt, reqID, start, nil, awserr.New(awserr.Serialization, "The request body could not be read."))
		return
	}
	body := buf.Bytes()

	caller, err := h.auth.Authenticate(r.Context(), r, body, rt.public)
	if err != nil {
		h.finish(w, r, rt, reqID, start, nil, err)
		return
	}
	out, err := rt.run(r.Context(), caller, body)
	h.finish(w, r, rt, reqID, start, out, err)
}

func (h *Handler) finish(w http.ResponseWriter, r *http.Request, rt *route, reqID string, start time.Time, out any, err error) {
	outcome := "success"
	if err != nil {
		outcome = h.writeError(w, r, reqID, rt.name, err)
	} else if werr := writeJSON(w, http.StatusOK, out); werr != nil {
		outcome = awserr.InternalError.Name()
		h.log.Error("encoding response", "request_id", reqID, "operation", rt.name, "err", werr)
	}
	d := time.Since(start)
	rt.obs.Observe(outcome, d)
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.Debug("request", "request_id", reqID, "operation", rt.name, "outcome", outcome, "duration", d)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		w.Header()["Content-Type"] = []string{ContentType}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"__type":"InternalErrorException","message":"An internal error occurred."}`)
		return err
	}
	w.Header()["Content-Type"] = []string{ContentType}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError writes the AWS error envelope and returns the exception name. Errors that are
// not *awserr.Error are internal: they are logged with the request ID and never shown.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, reqID, op string, err error) string {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		h.log.Error("internal error", "request_id", reqID, "operation", op, "err", err)
		ae = awserr.Newf(awserr.InternalError, "An internal error occurred. Request ID: %s", reqID)
	} else if ae.Code == awserr.InternalError {
		h.log.Error("internal error", "request_id", reqID, "operation", op, "err", err)
	}
	name := ae.Code.Name()
	w.Header()["X-Amzn-Errortype"] = []string{name + ":"}
	if ae.Code == awserr.RequestEntityTooLarge {
		// The rest of the body is not read: the connection cannot be reused.
		w.Header()["Connection"] = []string{"close"}
	}
	_ = writeJSON(w, ae.Code.Status(), errorBody{Type: name, Message: ae.Message})
	return name
}
