package awsquery

import (
	"bytes"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/idpool/idpool/internal/ids"
)

// ContentType is the media type of every response, errors included.
const ContentType = "text/xml"

// ReadRequest checks that r is a GET or a POST (MethodNotAllowed, with an Allow header,
// otherwise) and reads its body, at most limit bytes of it: RequestEntityTooLarge beyond
// that, InvalidRequest if it cannot be read (the read error is the Error's cause, for the
// log).
func ReadRequest(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header()["Allow"] = []string{"GET, POST"}
		return nil, NewError("MethodNotAllowed", http.StatusMethodNotAllowed, "The %s method is not allowed; use POST or GET.", r.Method)
	}
	if r.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, NewError("RequestEntityTooLarge", http.StatusRequestEntityTooLarge, "Request body exceeds the limit of %d bytes.", limit)
		}
		e := NewError("InvalidRequest", http.StatusBadRequest, "The request body could not be read.")
		e.cause = err
		return nil, e
	}
	return buf.Bytes(), nil
}

// WriteResult writes <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>
// in namespace, without the ActionResult element when result is nil. The response is
// built in memory first so that an encoding failure, which is returned, can still become
// a clean error response.
func WriteResult(w http.ResponseWriter, namespace, action, reqID string, result any) error {
	var buf bytes.Buffer
	buf.WriteString("<" + action + `Response xmlns="` + namespace + `">`)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
	}
	// action is one of the operation names and reqID a GUID: neither needs escaping.
	buf.WriteString("<ResponseMetadata><RequestId>" + reqID + "</RequestId></ResponseMetadata></" + action + "Response>")
	w.Header()["Content-Type"] = []string{ContentType}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// WriteError writes e's envelope,
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>, in
// namespace, or in e.Namespace if it has one.
func WriteError(w http.ResponseWriter, namespace, reqID string, e *Error) {
	if e.Namespace != "" {
		namespace = e.Namespace
	}
	var buf bytes.Buffer
	buf.WriteString(`<ErrorResponse xmlns="` + namespace + `"><Error><Type>` + e.Type() + "</Type><Code>")
	_ = xml.EscapeText(&buf, []byte(e.Code))
	buf.WriteString("</Code><Message>")
	_ = xml.EscapeText(&buf, []byte(e.Message))
	buf.WriteString("</Message></Error><RequestId>" + reqID + "</RequestId></ErrorResponse>")
	hdr := w.Header()
	hdr["Content-Type"] = []string{ContentType}
	if e.Status == http.StatusRequestEntityTooLarge {
		// The rest of the body was not read: the connection cannot be reused.
		hdr["Connection"] = []string{"close"}
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(buf.Bytes())
}

// Service is what Serve needs to know of the service it answers for.
type Service struct {
	// Name names the service in the debug log line of each request ("iam request").
	Name string
	// Namespace is the XML namespace of the service's error envelopes.
	Namespace string
	// Internal is the error that answers an internal one (IAM's ServiceFailure, STS's
	// InternalFailure).
	Internal func() *Error
	Log      *slog.Logger
}

// Serve answers one request with serve, which writes a successful response itself and
// returns the action's name, once known, and its failure. Serve gives the request its ID
// (the X-Amzn-Requestid header), writes serve's error in svc's envelope, and logs the
// request at debug level. Errors that are not *Error are internal: they are logged with
// the request ID and answered svc.Internal(), never shown.
func Serve(w http.ResponseWriter, r *http.Request, svc Service, serve func(w http.ResponseWriter, r *http.Request, reqID string) (action string, err error)) {
	start := time.Now()
	reqID := ids.GUID()
	w.Header()["X-Amzn-Requestid"] = []string{reqID}
	action, err := serve(w, r, reqID)
	outcome := "success"
	if err != nil {
		e, ok := errors.AsType[*Error](err)
		if !ok {
			svc.Log.Error("internal error", "request_id", reqID, "action", action, "err", err)
			e = svc.Internal()
		}
		WriteError(w, svc.Namespace, reqID, e)
		outcome = e.Code
	}
	if svc.Log.Enabled(r.Context(), slog.LevelDebug) {
		svc.Log.Debug(svc.Name+" request", "request_id", reqID, "action", action, "outcome", outcome, "duration", time.Since(start))
	}
}
