package cognito

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

// socialProviders are the SupportedLoginProviders keys AWS accepts.
var socialProviders = map[string]bool{
	"graph.facebook.com":  true,
	"accounts.google.com": true,
	"www.amazon.com":      true,
	"api.twitter.com":     true,
	"www.digits.com":      true,
	"appleid.apple.com":   true,
}

// userPoolProviderName is "cognito-idp.<region>.amazonaws.com/<region>_<id>".
var userPoolProviderName = regexp.MustCompile(`^cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com/([a-z]{2}(?:-[a-z]+)+-\d)_[0-9a-zA-Z]+$`)

const maxUserPoolProviders = 50

// poolSettings is what Create and Update both set: the whole configuration of a pool
// except its identity and tags.
type poolSettings struct {
	name                 string
	allowUnauthenticated bool
	allowClassicFlow     *bool
	loginProviders       map[string]string
	developerProvider    string
	oidcARNs             []string
	userPools            []api.CognitoIdentityProvider
	samlARNs             []string
}

// check makes the semantic checks AWS makes on a pool's provider settings.
func (s *Service) check(c Caller, p *poolSettings) error {
	for key, value := range p.loginProviders {
		if !socialProviders[key] {
			return awserr.Newf(awserr.InvalidParameter, "%s is not a supported login provider. Supported login providers are %s.", key, strings.Join(slices.Sorted(maps.Keys(socialProviders)), ", "))
		}
		if key == "api.twitter.com" && !strings.Contains(value, ";") {
			return awserr.New(awserr.InvalidParameter, "The value for api.twitter.com must be consumerKey;consumerSecret.")
		}
	}
	if len(p.userPools) > maxUserPoolProviders {
		return awserr.Newf(awserr.LimitExceeded, "An identity pool can have at most %d Cognito user pool providers.", maxUserPoolProviders)
	}
	seen := make(map[string]bool, len(p.userPools))
	for _, up := range p.userPools {
		if !userPoolProviderName.MatchString(up.ProviderName) {
			return awserr.Newf(awserr.InvalidParameter, "Invalid Cognito Identity Provider name: %s. Expected cognito-idp.<region>.amazonaws.com/<user pool id>.", up.ProviderName)
		}
		if up.ClientId == "" {
			return awserr.Newf(awserr.InvalidParameter, "ClientId is required for Cognito Identity Provider %s.", up.ProviderName)
		}
		key := up.ProviderName + ":" + up.ClientId
		if seen[key] {
			return awserr.Newf(awserr.InvalidParameter, "Duplicate Cognito Identity Provider: %s.", key)
		}
		seen[key] = true
	}
	if err := checkProviderARNs(c, p.oidcARNs, "oidc-provider", "OpenIdConnectProviderARN"); err != nil {
		return err
	}
	if err := checkProviderARNs(c, p.samlARNs, "saml-provider", "SamlProviderARN"); err != nil {
		return err
	}
	if p.developerProvider == "cognito-identity.amazonaws.com" || socialProviders[p.developerProvider] {
		return awserr.Newf(awserr.InvalidParameter, "DeveloperProviderName %s is reserved.", p.developerProvider)
	}
	return nil
}

func checkProviderARNs(c Caller, arns []string, kind, what string) error {
	seen := make(map[string]bool, len(arns))
	for _, s := range arns {
		p, err := arn.ParseIAMProvider(s)
		if err != nil || p.Kind != kind {
			return awserr.Newf(awserr.InvalidParameter, "Invalid %s: %s", what, s)
		}
		if c.AccountID != "" && p.AccountID != c.AccountID {
			return awserr.Newf(awserr.InvalidParameter, "Invalid %s: %s is not in account %s", what, s, c.AccountID)
		}
		if seen[s] {
			return awserr.Newf(awserr.InvalidParameter, "Duplicate %s: %s", what, s)
		}
		seen[s] = true
	}
	return nil
}

// apply writes the settings into a stored pool.
func (p *poolSettings) apply(dst *storage.Pool) {
	dst.Name = p.name
	dst.AllowUnauthenticated = p.allowUnauthenticated
	dst.AllowClassicFlow = p.allowClassicFlow
	dst.SupportedLoginProviders = p.loginProviders
	dst.DeveloperProviderName = p.developerProvider
	dst.OpenIDConnectProviderARNs = p.oidcARNs
	dst.SAMLProviderARNs = p.samlARNs
	dst.CognitoIdentityProviders = make([]storage.CognitoProvider, 0, len(p.userPools))
	for _, up := range p.userPools {
		dst.CognitoIdentityProviders = append(dst.CognitoIdentityProviders, storage.CognitoProvider{
			ProviderName:         up.ProviderName,
			ClientID:             up.ClientId,
			ServerSideTokenCheck: up.ServerSideTokenCheck != nil && *up.ServerSideTokenCheck,
		})
	}
}

// CreateIdentityPool creates a pool in the caller's account.
func (s *Service) CreateIdentityPool(ctx context.Context, c Caller, in *api.CreateIdentityPoolInput) (*api.IdentityPool, error) {
	settings := &poolSettings{
		name:                 in.IdentityPoolName,
		allowUnauthenticated: *in.AllowUnauthenticatedIdentities,
		allowClassicFlow:     in.AllowClassicFlow,
		loginProviders:       in.SupportedLoginProviders,
		developerProvider:    in.DeveloperProviderName,
		oidcARNs:             in.OpenIdConnectProviderARNs,
		userPools:            in.CognitoIdentityProviders,
		samlARNs:             in.SamlProviderARNs,
	}
	if err := s.check(c, settings); err != nil {
		return nil, err
	}
	if err := s.checkTags(in.IdentityPoolTags, 0); err != nil {
		return nil, err
	}
	now := s.now()
	p := &storage.Pool{
		AccountID: c.AccountID,
		Region:    s.region,
		ID:        s.newID(),
		Tags:      in.IdentityPoolTags,
		CreatedAt: now,
		UpdatedAt: now,
	}
	settings.apply(p)
	if err := s.store.CreatePool(ctx, p, s.limits.PoolsPerAccount); err != nil {
		if errors.Is(err, storage.ErrLimitExceeded) {
			return nil, awserr.Newf(awserr.LimitExceeded, "The maximum number of identity pools (%d) for this account in %s has been reached.", s.limits.PoolsPerAccount, s.region)
		}
		return nil, err
	}
	return poolOutput(p), nil
}

// DescribeIdentityPool returns a pool's configuration.
func (s *Service) DescribeIdentityPool(ctx context.Context, c Caller, in *api.DescribeIdentityPoolInput) (*api.IdentityPool, error) {
	p, err := s.store.GetPool(ctx, c.AccountID, in.IdentityPoolId)
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	return poolOutput(p), nil
}

// UpdateIdentityPool replaces a pool's configuration. Omitted optional members return to
// their defaults, as in AWS, with two exceptions: DeveloperProviderName, which can never
// change once set, and IdentityPoolTags, which are left alone when omitted so that tools
// managing tags through TagResource do not lose them on every update.
func (s *Service) UpdateIdentityPool(ctx context.Context, c Caller, in *api.IdentityPool) (*api.IdentityPool, error) {
	settings := &poolSettings{
		name:                 in.IdentityPoolName,
		allowUnauthenticated: *in.AllowUnauthenticatedIdentities,
		allowClassicFlow:     in.AllowClassicFlow,
		loginProviders:       in.SupportedLoginProviders,
		developerProvider:    in.DeveloperProviderName,
		oidcARNs:             in.OpenIdConnectProviderARNs,
		userPools:            in.CognitoIdentityProviders,
		samlARNs:             in.SamlProviderARNs,
	}
	if err := s.check(c, settings); err != nil {
		return nil, err
	}
	if in.IdentityPoolTags != nil {
		if err := s.checkTags(in.IdentityPoolTags, 0); err != nil {
			return nil, err
		}
	}
	p, err := s.store.UpdatePool(ctx, c.AccountID, in.IdentityPoolId, func(p *storage.Pool) error {
		if p.DeveloperProviderName != "" && settings.developerProvider != p.DeveloperProviderName {
			if settings.developerProvider != "" {
				return awserr.New(awserr.InvalidParameter, "Cannot change DeveloperProviderName once it is set.")
			}
			settings.developerProvider = p.DeveloperProviderName
		}
		settings.apply(p)
		if in.IdentityPoolTags != nil {
			p.Tags = in.IdentityPoolTags
		}
		p.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	return poolOutput(p), nil
}

// DeleteIdentityPool removes a pool and everything that belongs to it.
func (s *Service) DeleteIdentityPool(ctx context.Context, c Caller, in *api.DeleteIdentityPoolInput) (*struct{}, error) {
	if err := s.store.DeletePool(ctx, c.AccountID, in.IdentityPoolId); err != nil {
		return nil, storageErr(err, in.IdentityPoolId)
	}
	return &struct{}{}, nil
}

// ListIdentityPools pages through the caller's pools in this region. The NextToken is the
// last pool ID returned, encoded; listing is keyset-ordered by ID, so pools created or
// deleted between pages neither repeat nor shift others out of view.
func (s *Service) ListIdentityPools(ctx context.Context, c Caller, in *api.ListIdentityPoolsInput) (*api.ListIdentityPoolsResponse, error) {
	after, err := decodePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := int(*in.MaxResults)
	rows, err := s.store.ListPools(ctx, c.AccountID, s.region, after, limit+1)
	if err != nil {
		return nil, err
	}
	out := &api.ListIdentityPoolsResponse{IdentityPools: make([]api.IdentityPoolShortDescription, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			out.NextToken = encodePageToken(rows[i-1].ID)
			break
		}
		out.IdentityPools = append(out.IdentityPools, api.IdentityPoolShortDescription{IdentityPoolId: r.ID, IdentityPoolName: r.Name})
	}
	return out, nil
}

// Page tokens are opaque to clients; a version prefix lets the format change later.
const pageTokenPrefix = "v1."

func encodePageToken(after string) string {
	return pageTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(after))
}

func decodePageToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, ok := strings.CutPrefix(tok, pageTokenPrefix)
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if !ok || err != nil || len(b) == 0 {
		return "", awserr.New(awserr.InvalidParameter, "The pagination token is invalid.")
	}
	return string(b), nil
}

func poolOutput(p *storage.Pool) *api.IdentityPool {
	out := &api.IdentityPool{
		IdentityPoolId:                 p.ID,
		IdentityPoolName:               p.Name,
		AllowUnauthenticatedIdentities: &p.AllowUnauthenticated,
		AllowClassicFlow:               p.AllowClassicFlow,
		SupportedLoginProviders:        nonNilMap(p.SupportedLoginProviders),
		DeveloperProviderName:          p.DeveloperProviderName,
		IdentityPoolTags:               nonNilMap(p.Tags),
	}
	if len(p.OpenIDConnectProviderARNs) > 0 {
		out.OpenIdConnectProviderARNs = p.OpenIDConnectProviderARNs
	}
	if len(p.SAMLProviderARNs) > 0 {
		out.SamlProviderARNs = p.SAMLProviderARNs
	}
	for _, cp := range p.CognitoIdentityProviders {
		out.CognitoIdentityProviders = append(out.CognitoIdentityProviders, api.CognitoIdentityProvider{
			ProviderName:         cp.ProviderName,
			ClientId:             cp.ClientID,
			ServerSideTokenCheck: &cp.ServerSideTokenCheck,
		})
	}
	return out
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
