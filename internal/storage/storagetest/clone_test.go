package storagetest

// The tests of storage.Pool.Clone live here rather than in package storage because they
// share this package's fixtures and reflection helpers.

import (
	"reflect"
	"testing"

	"github.com/idpool/idpool/internal/storage"
)

func TestCloneNil(t *testing.T) {
	if c := (*storage.Pool)(nil).Clone(); c != nil {
		t.Fatalf("nil.Clone() = %v, want nil", c)
	}
}

func TestCloneEqualAndUnshared(t *testing.T) {
	full := fullPool(acctA, regionA, ptr(true))
	if unset := unsetFields(full); len(unset) > 0 {
		t.Fatalf("fullPool leaves %v unset; Clone would not be tested on them", unset)
	}
	for name, p := range map[string]*storage.Pool{
		"full":              full,
		"minimal":           minimalPool(acctA, regionA),
		"empty collections": emptyCollectionsPool(acctA, regionA),
	} {
		c := p.Clone()
		if c == p {
			t.Fatalf("%s: Clone returned its receiver", name)
		}
		// Exact equality, times and the nil/empty distinction included.
		if !reflect.DeepEqual(c, p) {
			t.Errorf("%s: Clone differs: %v", name, diffPools(c, p))
		}
		if !c.CreatedAt.Equal(p.CreatedAt) || c.CreatedAt.Location() != p.CreatedAt.Location() {
			t.Errorf("%s: CreatedAt %v, want %v", name, c.CreatedAt, p.CreatedAt)
		}
		if sh := sharedRefs(c, p); len(sh) > 0 {
			t.Errorf("%s: Clone shares %v with the original", name, sh)
		}
	}
}

func TestCloneMutationsDoNotLeak(t *testing.T) {
	p := fullPool(acctA, regionA, ptr(true))
	want := fullPool(acctA, regionA, ptr(true))
	want.ID = p.ID

	c := p.Clone()
	*c.AllowClassicFlow = false
	c.SupportedLoginProviders["x"] = "y"
	c.OpenIDConnectProviderARNs[0] = "changed"
	c.CognitoIdentityProviders[0].ClientID = "changed"
	c.SAMLProviderARNs[0] = "changed"
	c.Tags["team"] = "changed"
	c.Roles["authenticated"] = "changed"
	for k, m := range c.RoleMappings {
		if len(m.Rules) > 0 {
			m.Rules[0].RoleARN = "changed"
		}
		m.Type = "changed"
		c.RoleMappings[k] = m
	}
	for k, m := range c.PrincipalTagMaps {
		if m.Tags != nil {
			m.Tags["department"] = "changed"
			m.Tags["added"] = "x"
		}
		m.UseDefaults = !m.UseDefaults
		c.PrincipalTagMaps[k] = m
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("mutating the clone changed the original: %v", diffPools(p, want))
	}

	// And the other way round.
	c = p.Clone()
	p.Tags["team"] = "changed"
	p.RoleMappings["graph.facebook.com"] = storage.RoleMapping{}
	oidc := "arn:aws:iam::" + acctA + ":oidc-provider/server.example.com"
	p.PrincipalTagMaps[oidc].Tags["department"] = "changed"
	if c.Tags["team"] != "identity" || c.RoleMappings["graph.facebook.com"].Type != "Token" ||
		c.PrincipalTagMaps[oidc].Tags["department"] != "custom:dept" {
		t.Errorf("mutating the original changed the clone")
	}
}

func TestProviderCloneNil(t *testing.T) {
	if c := (*storage.IAMProvider)(nil).Clone(); c != nil {
		t.Fatalf("nil.Clone() = %v, want nil", c)
	}
}

func TestProviderCloneEqualAndUnshared(t *testing.T) {
	full := fullProvider(acctA, storage.ProviderOIDC)
	if unset := unsetFields(full); len(unset) > 0 {
		t.Fatalf("fullProvider leaves %v unset; Clone would not be tested on them", unset)
	}
	for name, p := range map[string]*storage.IAMProvider{
		"full":              full,
		"minimal":           minimalProvider(acctA, storage.ProviderSAML),
		"empty collections": emptyCollectionsProvider(acctA, storage.ProviderOIDC),
	} {
		c := p.Clone()
		if c == p {
			t.Fatalf("%s: Clone returned its receiver", name)
		}
		// Exact equality: times with their zones, and nil apart from empty.
		if !reflect.DeepEqual(c, p) {
			t.Errorf("%s: Clone differs: %v", name, diffDeep(c, p))
		}
		if sh := sharedRefs(c, p); len(sh) > 0 {
			t.Errorf("%s: Clone shares %v with the original", name, sh)
		}
	}
}

func TestProviderCloneMutationsDoNotLeak(t *testing.T) {
	p := fullProvider(acctA, storage.ProviderOIDC)
	want := p.Clone()
	c := p.Clone()
	c.ClientIDs[0] = "changed"
	c.Thumbprints[0] = "changed"
	c.Tags["team"] = "changed"
	c.Tags["added"] = "x"
	if !reflect.DeepEqual(p, want) {
		t.Errorf("mutating the clone changed the original: %v", diffDeep(p, want))
	}
	c = p.Clone()
	p.ClientIDs[1] = "changed"
	p.Tags["team"] = "changed"
	if c.ClientIDs[1] == "changed" || c.Tags["team"] == "changed" {
		t.Error("mutating the original changed the clone")
	}
}
