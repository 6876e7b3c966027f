package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpool/idpool/internal/storage"
)

// TestProviderQueryPlan keeps ListProviders an index range scan in ARN order: no full
// table scan (a SAML row can hold megabytes of metadata) and no sort.
func TestProviderQueryPlan(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	for _, q := range []string{listProviders, selectProvider} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, "a", "b")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.HasPrefix(joined, "SEARCH iam_providers USING ") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("plan for %q: %s", q, joined)
		}
	}
}

func TestGetProviderHonoursEndedContext(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	p := &storage.IAMProvider{AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:saml-provider/x", Kind: storage.ProviderSAML}
	if err := s.CreateProvider(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GetProvider(ctx, p.AccountID, p.ARN); !errors.Is(err, context.Canceled) {
		t.Errorf("GetProvider with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestCreateProviderNil(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	if err := s.CreateProvider(t.Context(), nil); err == nil {
		t.Error("CreateProvider(nil) succeeded")
	}
}

// TestProviderConfigKeepsMarkup: SAML metadata is stored with its '<', '>' and '&' as they
// are, not as \u003c escapes that would swell a 10 MB document several times over.
func TestProviderConfigKeepsMarkup(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "idpool.db"))
	doc := `<md:EntityDescriptor entityID=a&amp;b>` + strings.Repeat("<x/>", 100) + `</md:EntityDescriptor>`
	p := &storage.IAMProvider{AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:saml-provider/x", Kind: storage.ProviderSAML, SAMLMetadata: doc}
	if err := s.CreateProvider(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	var config string
	if err := s.r.QueryRowContext(t.Context(), `SELECT config FROM iam_providers WHERE arn = ?`, p.ARN).Scan(&config); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(config, doc) || len(config) > len(doc)+200 {
		t.Errorf("stored config (%d bytes for a %d byte document): %.200s", len(config), len(doc), config)
	}
	got, err := s.GetProvider(t.Context(), p.AccountID, p.ARN)
	if err != nil || got.SAMLMetadata != doc {
		t.Errorf("GetProvider = %v, %v", got, err)
	}
}
