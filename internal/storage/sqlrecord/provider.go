package sqlrecord

import (
	"bytes"
	"encoding/json"

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
