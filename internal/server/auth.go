package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/cognito"
	"github.com/idpool/idpool/internal/sigv4"
)

// signingName is the SigV4 service name of the Cognito Identity API.
const signingName = "cognito-identity"

// authenticator decides who is calling. Public operations work unsigned; a signature that
// is present is always checked, because older SDKs sign public calls and a wrong signature
// should not pass silently. With insecure set, developer operations fall back to the
// default account when unsigned or wrongly signed.
type authenticator struct {
	verifier       *sigv4.Verifier
	defaultAccount string
	insecure       bool
	log            *slog.Logger
}

func (a *authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte, public bool) (cognito.Caller, error) {
	if !sigv4.Signed(r) {
		switch {
		case public:
			return cognito.Caller{}, nil
		case a.insecure:
			return cognito.Caller{AccountID: a.defaultAccount}, nil
		}
		return cognito.Caller{}, awserr.New(awserr.MissingAuthenticationToken, "Missing Authentication Token")
	}
	cred, err := a.verifier.Verify(ctx, r, body, signingName)
	if err != nil {
		if a.insecure {
			a.log.Debug("accepting a request whose signature failed (--auth=none)", "err", err)
			return cognito.Caller{AccountID: a.defaultAccount}, nil
		}
		return cognito.Caller{}, err
	}
	return cognito.Caller{AccountID: cred.AccountID, AccessKeyID: cred.AccessKeyID}, nil
}
