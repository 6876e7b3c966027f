package cognito

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/idp"
	"github.com/idpool/idpool/internal/rolemap"
	"github.com/idpool/idpool/internal/storage"
)

// sessionTokenLifetime is the life of the token idpool issues for a credentials session,
// which an external STS receives as the web identity token.
const sessionTokenLifetime = 10 * time.Minute

// CredentialsRequest asks a broker for temporary credentials of a role.
type CredentialsRequest struct {
	AccountID  string
	RoleARN    string
	IdentityID string
	PoolID     string
	// AMR is the session's authentication methods, which role trust policies match on
	// (cognito-identity.amazonaws.com:amr).
	AMR  []string
	Tags map[string]string
	// Token returns the OpenID token idpool issues for this session. It is signed only when
	// called: the built-in STS does not need it, an external STS does.
	Token func(ctx context.Context) (string, error)
}

// Credentials are temporary AWS credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// CredentialBroker turns a chosen role into credentials: idpool's own STS, or a real one.
// Its refusals are *awserr.Error values.
type CredentialBroker interface {
	Credentials(ctx context.Context, req CredentialsRequest) (*Credentials, error)
}

var errNoRole = awserr.New(awserr.InvalidIdentityPoolConfiguration, "Invalid identity pool configuration. Check assigned IAM roles for this pool.")

// GetCredentialsForIdentity is the enhanced flow: it checks the identity's logins,
// chooses the role, and returns credentials for it.
func (s *Service) GetCredentialsForIdentity(ctx context.Context, c Caller, in *api.GetCredentialsForIdentityInput) (*api.GetCredentialsForIdentityResponse, error) {
	if s.broker == nil {
		return nil, awserr.New(awserr.InvalidIdentityPoolConfiguration, "No credential broker is configured on this idpool server.")
	}
	a, err := s.authorize(ctx, in.IdentityId, in.Logins)
	if err != nil {
		return nil, err
	}
	p := a.pool
	var role string
	var tags map[string]string
	if a.amr[0] == "unauthenticated" {
		role = p.Roles["unauthenticated"]
	} else {
		login, mapping := mappedLogin(p, a.logins)
		role, err = chooseRole(p, login, mapping, in.CustomRoleArn)
		if err != nil {
			return nil, err
		}
		if login != nil {
			if tags, err = principalTags(p, login); err != nil {
				return nil, err
			}
		}
	}
	if role == "" {
		return nil, errNoRole
	}
	creds, err := s.broker.Credentials(ctx, CredentialsRequest{
		AccountID:  p.AccountID,
		RoleARN:    role,
		IdentityID: a.identity.ID,
		PoolID:     p.ID,
		AMR:        a.amr,
		Tags:       tags,
		Token: func(ctx context.Context) (string, error) {
			return s.issue(ctx, p, a.identity.ID, a.amr, tags, sessionTokenLifetime)
		},
	})
	if err != nil {
		return nil, err
	}
	return &api.GetCredentialsForIdentityResponse{
		IdentityId: a.identity.ID,
		Credentials: &api.Credentials{
			AccessKeyId:  creds.AccessKeyID,
			SecretKey:    creds.SecretAccessKey,
			SessionToken: creds.SessionToken,
			Expiration:   api.NewTime(creds.Expiration),
		},
	}, nil
}

// mappedLogin picks the login whose provider's role mapping decides the role: the first,
// by provider name, that has a mapping, else the first login. Logins proved only by a
// token idpool issued (developer identities) have no mapping: AWS allows none for them.
func mappedLogin(p *storage.Pool, logins []*idp.Login) (*idp.Login, *storage.RoleMapping) {
	sorted := slices.SortedFunc(slices.Values(logins), func(a, b *idp.Login) int { return strings.Compare(a.Provider, b.Provider) })
	for _, l := range sorted {
		if m, ok := p.RoleMappings[mappingKey(p, l)]; ok {
			return l, &m
		}
	}
	if len(sorted) > 0 {
		return sorted[0], nil
	}
	return nil, nil
}

// mappingKey is the RoleMappings key of a login's provider: user pools carry the app
// client (the token's audience); OIDC providers may be keyed by name or by ARN.
func mappingKey(p *storage.Pool, l *idp.Login) string {
	if strings.HasPrefix(l.Provider, "cognito-idp.") {
		if aud, ok := l.Claims["aud"].(string); ok {
			return l.Provider + ":" + aud
		}
	}
	if _, ok := p.RoleMappings[l.Provider]; !ok {
		for _, a := range p.OpenIDConnectProviderARNs {
			if strings.HasSuffix(a, ":oidc-provider/"+l.Provider) {
				return a
			}
		}
	}
	return l.Provider
}

func chooseRole(p *storage.Pool, login *idp.Login, m *storage.RoleMapping, customRole string) (string, error) {
	in := rolemap.Input{AuthenticatedRole: p.Roles["authenticated"], CustomRoleARN: customRole}
	if login != nil {
		in.Claims = login.Claims
		if roles, ok := login.Claims[idp.SAMLRoleAttribute].([]string); ok {
			in.SAMLRoles = roles
		}
	}
	if m != nil {
		in.Mapping = &rolemap.Mapping{Type: m.Type, AmbiguousRoleResolution: m.AmbiguousRoleResolution}
		for _, r := range m.Rules {
			in.Mapping.Rules = append(in.Mapping.Rules, rolemap.Rule{Claim: r.Claim, MatchType: r.MatchType, Value: r.Value, RoleARN: r.RoleARN})
		}
	}
	role, err := rolemap.Choose(in)
	var denied *rolemap.Denied
	switch {
	case errors.As(err, &denied):
		provider := cognitoLoginProvider
		if login != nil {
			provider = login.Provider
		}
		return "", awserr.Newf(awserr.NotAuthorized, "The ambiguous role mapping rules for: %s denied this request.", provider)
	case err != nil:
		return "", errNoRole
	}
	return role, nil
}

// principalTags maps the login token's claims to session tags through the pool's
// attribute map for the provider. With no map configured, no tags are sent, as in AWS
// where attributes for access control are off until configured.
func principalTags(p *storage.Pool, l *idp.Login) (map[string]string, error) {
	m, ok := p.PrincipalTagMaps[tagMapName(p, l)]
	if !ok {
		return nil, nil
	}
	tags := make(map[string]string, len(m.Tags)+2)
	if m.UseDefaults {
		if strings.HasPrefix(l.Provider, "arn:") { // SAML
			setTag(tags, "username", l.Claims[idp.SAMLNameIDClaim])
		} else {
			setTag(tags, "username", l.Claims["sub"])
			setTag(tags, "client", l.Claims["aud"])
		}
	}
	for key, claim := range m.Tags {
		setTag(tags, key, l.Claims[claim])
	}
	if len(tags) > 50 {
		return nil, awserr.New(awserr.InvalidParameter, "Too many principal tags: at most 50 can be passed to a session.")
	}
	for k, v := range tags {
		if len(k) > 128 || len(v) > 256 {
			return nil, awserr.Newf(awserr.InvalidParameter, "Principal tag %s is too long: keys may have 128 characters and values 256.", k)
		}
	}
	return tags, nil
}

// tagMapName is the name a principal tag map is kept under for a login's provider: the
// user pool name without client, the OIDC provider's ARN, or the Logins key otherwise.
func tagMapName(p *storage.Pool, l *idp.Login) string {
	for _, a := range p.OpenIDConnectProviderARNs {
		if strings.HasSuffix(a, ":oidc-provider/"+l.Provider) {
			return a
		}
	}
	return l.Provider
}

// setTag sets a tag from a claim value, skipping absent claims; arrays join with commas.
func setTag(tags map[string]string, key string, claim any) {
	switch v := claim.(type) {
	case nil:
	case string:
		tags[key] = v
	case []string:
		tags[key] = strings.Join(v, ",")
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			parts = append(parts, fmt.Sprint(e))
		}
		tags[key] = strings.Join(parts, ",")
	default:
		tags[key] = fmt.Sprint(v)
	}
}
