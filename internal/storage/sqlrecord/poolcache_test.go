package sqlrecord

import (
	"reflect"
	"testing"

	"github.com/idpool/idpool/internal/storage"
)

// decodeCached decodes exactly as DecodePool does, every configuration field included,
// and hands out copies that share nothing.
func TestDecodeCachedAsDecodePool(t *testing.T) {
	classic := true
	full := &storage.Pool{
		AllowUnauthenticated: true, AllowClassicFlow: &classic,
		SupportedLoginProviders:   map[string]string{"accounts.google.com": "app"},
		DeveloperProviderName:     "login.example",
		OpenIDConnectProviderARNs: []string{"arn:aws:iam::1:oidc-provider/x"},
		CognitoIdentityProviders:  []storage.CognitoProvider{{ProviderName: "p", ClientID: "c", ServerSideTokenCheck: true}},
		SAMLProviderARNs:          []string{"arn:aws:iam::1:saml-provider/y"},
		Tags:                      map[string]string{"k": "v"},
		Roles:                     map[string]string{"authenticated": "arn:aws:iam::1:role/a"},
		RoleMappings:              map[string]storage.RoleMapping{"p": {Type: "Rules", AmbiguousRoleResolution: "Deny", Rules: []storage.MappingRule{{Claim: "c", MatchType: "Equals", Value: "v", RoleARN: "r"}}}},
		PrincipalTagMaps:          map[string]storage.PrincipalTagMap{"p": {UseDefaults: true, Tags: map[string]string{"a": "b"}}},
	}
	// Every configuration field is set, so a field DecodePool learns later and setConfig
	// does not copy shows up here.
	v := reflect.ValueOf(*full)
	for i := range v.NumField() {
		switch name := v.Type().Field(i).Name; name {
		case "AccountID", "Region", "ID", "Name", "CreatedAt", "UpdatedAt":
		default:
			if v.Field(i).IsZero() {
				t.Fatalf("test pool leaves %s unset", name)
			}
		}
	}
	b, err := EncodePool(full)
	if err != nil {
		t.Fatal(err)
	}
	var want storage.Pool
	if err := DecodePool(b, &want); err != nil {
		t.Fatal(err)
	}
	var first, second storage.Pool
	if err := decodeCached(string(b), &first); err != nil {
		t.Fatal(err)
	}
	if err := decodeCached(string(b), &second); err != nil { // from the cache
		t.Fatal(err)
	}
	for _, got := range []storage.Pool{first, second} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeCached = %+v, want %+v", got, want)
		}
	}
	first.Tags["k"] = "changed"
	first.RoleMappings["p"].Rules[0].Value = "changed"
	if second.Tags["k"] != "v" || second.RoleMappings["p"].Rules[0].Value != "v" {
		t.Error("two decodes share memory")
	}
	if err := decodeCached("{", &first); err == nil {
		t.Error("bad JSON decoded")
	}
}
