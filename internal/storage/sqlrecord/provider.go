package sqlrecord

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/idpool/idpool/internal/storage"
)

// providerConfig is the JSON in iam_providers.config: every storage.IAMProvider field
// that has no column. ValidUntil is unix milliseconds; the zero time.Time survives the
// trip (see FromMillis).
type providerConfig struct {
	URL          string            `json:"url"`
	ClientIDs    []string          `json:"clientIds"`
	Thumbprints  []string          `json:"thumbprints"`
	SAMLMetadata string            `json:"samlMetadata"`
	ValidUntil   int64             `json:"validUntil"`
	Tags         map[string]string `json:"tags"`
}

// EncodeProvider returns the config JSON of p. It writes '<', '>' and '&' as themselves
// rather than as json.Marshal's \u003c escapes: a SAML metadata document is full of them,
// and escaping would swell a document of up to 10 MB to several times that on disk and in
// every read.
func EncodeProvider(p *storage.IAMProvider) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(providerConfig{
		URL:          p.URL,
		ClientIDs:    p.ClientIDs,
		Thumbprints:  p.Thumbprints,
		SAMLMetadata: p.SAMLMetadata,
		ValidUntil:   ToMillis(p.ValidUntil),
		Tags:         p.Tags,
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// DecodeProvider sets the fields of p that EncodeProvider stores from its JSON b.
func DecodeProvider(b []byte, p *storage.IAMProvider) error {
	var c providerConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	p.URL = c.URL
	p.ClientIDs = c.ClientIDs
	p.Thumbprints = c.Thumbprints
	p.SAMLMetadata = c.SAMLMetadata
	p.ValidUntil = FromMillis(c.ValidUntil)
	p.Tags = c.Tags
	return nil
}

// ProviderColumns are the columns of iam_providers, in the order of ProviderArgs and
// ProviderRow.
const ProviderColumns = `arn, account_id, kind, config, created_at, updated_at`

// ProviderArgs returns the values of p's ProviderColumns in order: the arguments of an
// INSERT of p. Its error is EncodeProvider's.
func ProviderArgs(p *storage.IAMProvider) ([]any, error) {
	config, err := EncodeProvider(p)
	if err != nil {
		return nil, err
	}
	return []any{p.ARN, p.AccountID, p.Kind, string(config), ToMillis(p.CreatedAt), ToMillis(p.UpdatedAt)}, nil
}

// ProviderRow is the Row of IAM providers.
type ProviderRow struct {
	provider         storage.IAMProvider
	config           []byte
	created, updated int64
}

func (r *ProviderRow) scan(row RowScanner) error {
	p := &r.provider
	return row.Scan(&p.ARN, &p.AccountID, &p.Kind, &r.config, &r.created, &r.updated)
}

func (r *ProviderRow) record() (*storage.IAMProvider, error) {
	if err := DecodeProvider(r.config, &r.provider); err != nil {
		return nil, err
	}
	// The caller holds the provider, and through it r: not the JSON too, which for a SAML
	// provider holds a copy of its metadata document.
	r.config = nil
	r.provider.CreatedAt, r.provider.UpdatedAt = FromMillis(r.created), FromMillis(r.updated)
	return &r.provider, nil
}

func (*ProviderRow) kind() string  { return "provider" }
func (r *ProviderRow) key() string { return r.provider.ARN }

// UpdateProvider is UpdatePool for IAM providers: fn runs on a copy of cur, cannot change
// AccountID, ARN, Kind or CreatedAt, and what comes back is the config JSON to store and
// the provider GetProvider will return once it is stored. The row's updated_at is
// ToMillis(stored.UpdatedAt). fn's error is returned as is, UpdateProvider's own through
// wrap.
func UpdateProvider(cur *storage.IAMProvider, fn func(*storage.IAMProvider) error, wrap func(error) error) (stored *storage.IAMProvider, config []byte, err error) {
	next := cur.Clone()
	if err := fn(next); err != nil {
		return nil, nil, err
	}
	next.AccountID, next.ARN, next.Kind, next.CreatedAt = cur.AccountID, cur.ARN, cur.Kind, cur.CreatedAt
	if config, err = EncodeProvider(next); err != nil {
		return nil, nil, wrap(fmt.Errorf("encode provider %s: %w", cur.ARN, err))
	}
	stored = &storage.IAMProvider{AccountID: cur.AccountID, ARN: cur.ARN, Kind: cur.Kind,
		CreatedAt: cur.CreatedAt, UpdatedAt: FromMillis(ToMillis(next.UpdatedAt))}
	if err := DecodeProvider(config, stored); err != nil {
		return nil, nil, wrap(fmt.Errorf("decode provider %s: %w", cur.ARN, err))
	}
	return stored, config, nil
}
