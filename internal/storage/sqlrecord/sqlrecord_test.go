package sqlrecord

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// The encodings are a persisted format: databases written by earlier releases hold them.
// These golden strings change only together with a migration.

func TestPoolGolden(t *testing.T) {
	p := &storage.Pool{
		AllowUnauthenticated:     true,
		AllowClassicFlow:         new(bool),
		SupportedLoginProviders:  map[string]string{"graph.facebook.com": "1"},
		DeveloperProviderName:    "login.example.com",
		CognitoIdentityProviders: []storage.CognitoProvider{{ProviderName: "cognito-idp.us-east-1.amazonaws.com/us-east-1_A", ClientID: "c", ServerSideTokenCheck: true}},
		SAMLProviderARNs:         []string{},
		Tags:                     map[string]string{},
		RoleMappings: map[string]storage.RoleMapping{"p": {Type: "Rules", AmbiguousRoleResolution: "Deny",
			Rules: []storage.MappingRule{{Claim: "sub", MatchType: "Equals", Value: "<x>", RoleARN: "r"}}}},
		PrincipalTagMaps: map[string]storage.PrincipalTagMap{"p": {UseDefaults: true}},
	}
	const want = `{"allowUnauthenticated":true,"allowClassicFlow":false,"supportedLoginProviders":{"graph.facebook.com":"1"},` +
		`"developerProviderName":"login.example.com","openIdConnectProviderArns":null,` +
		`"cognitoIdentityProviders":[{"providerName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_A","clientId":"c","serverSideTokenCheck":true}],` +
		`"samlProviderArns":[],"tags":{},"roles":null,` +
		`"roleMappings":{"p":{"type":"Rules","ambiguousRoleResolution":"Deny","rules":[{"claim":"sub","matchType":"Equals","value":"\u003cx\u003e","roleArn":"r"}]}},` +
		`"principalTagMaps":{"p":{"useDefaults":true,"tags":null}}}`
	b, err := EncodePool(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("EncodePool:\n got  %s\n want %s", b, want)
	}
	var got storage.Pool
	if err := DecodePool(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, p) {
		t.Errorf("DecodePool(EncodePool(p)) = %+v, want %+v", got, *p)
	}
}

// TestPoolBeforePrincipalTagMaps: a config written before the field existed decodes to
// nil PrincipalTagMaps.
func TestPoolBeforePrincipalTagMaps(t *testing.T) {
	var p storage.Pool
	if err := DecodePool([]byte(`{"allowUnauthenticated":true,"allowClassicFlow":null,"supportedLoginProviders":null,"developerProviderName":"","openIdConnectProviderArns":null,"cognitoIdentityProviders":null,"samlProviderArns":null,"tags":{},"roles":null,"roleMappings":null}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.AllowUnauthenticated || p.PrincipalTagMaps != nil || p.Tags == nil || p.Roles != nil {
		t.Errorf("decoded %+v", p)
	}
}

func TestProviderGolden(t *testing.T) {
	p := &storage.IAMProvider{
		URL: "https://idp.example.com", ClientIDs: []string{"a"}, Thumbprints: []string{},
		SAMLMetadata: `<md:EntityDescriptor a="b&amp;c"/>`,
		ValidUntil:   time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.UTC),
	}
	const want = `{"url":"https://idp.example.com","clientIds":["a"],"thumbprints":[],"samlMetadata":"<md:EntityDescriptor a=\"b&amp;c\"/>","validUntil":1893553445678,"tags":null}`
	b, err := EncodeProvider(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("EncodeProvider:\n got  %s\n want %s", b, want)
	}
	var got storage.IAMProvider
	if err := DecodeProvider(b, &got); err != nil {
		t.Fatal(err)
	}
	p.ValidUntil = p.ValidUntil.Truncate(time.Millisecond)
	if !reflect.DeepEqual(&got, p) {
		t.Errorf("DecodeProvider(EncodeProvider(p)) = %+v, want %+v", got, *p)
	}
	// The zero ValidUntil stays zero.
	b, _ = EncodeProvider(&storage.IAMProvider{})
	if err := DecodeProvider(b, &got); err != nil || !got.ValidUntil.IsZero() || got.ClientIDs != nil || got.Tags != nil {
		t.Errorf("zero provider came back as %+v, %v", got, err)
	}
}

// keysGolden checks k's JSON against want and decodes it back, returning the JSON and
// what it decodes to.
func keysGolden(t *testing.T, k *storage.Keys, want string) ([]byte, *storage.Keys) {
	t.Helper()
	b, err := EncodeKeys(k)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("EncodeKeys:\n got  %s\n want %s", b, want)
	}
	got, err := DecodeKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, got
}

func TestKeysGolden(t *testing.T) {
	k := &storage.Keys{
		SigningKeyID: "k2", SigningKey: []byte{0, 0xff},
		VerificationKeys: []storage.VerificationKey{{KeyID: "k2", PublicKey: []byte("p")}, {KeyID: "k1", PublicKey: []byte{}, Expiry: time.UnixMilli(5).UTC()}},
		NextRotation:     time.UnixMilli(7).UTC(),
	}
	_, got := keysGolden(t, k, `{"signingKeyId":"k2","signingKey":"AP8=","verificationKeys":[{"keyId":"k2","publicKey":"cA==","expiry":-62135596800000},{"keyId":"k1","publicKey":"","expiry":5}],"nextRotation":7}`)
	if !got.VerificationKeys[0].Expiry.IsZero() {
		t.Errorf("zero Expiry came back as %v", got.VerificationKeys[0].Expiry)
	}
	got.VerificationKeys[0].Expiry = time.Time{}
	if !reflect.DeepEqual(got, k) {
		t.Errorf("DecodeKeys(EncodeKeys(k)) = %+v, want %+v", got, k)
	}
	if _, err := DecodeKeys([]byte("{")); err == nil {
		t.Error("DecodeKeys of broken JSON succeeded")
	}
}

// The golden string of TestKeysGolden has no session key: key sets stored before
// SessionKey existed must read, and be written back, as they were.
func TestKeysSessionKeyGolden(t *testing.T) {
	k := &storage.Keys{SigningKeyID: "k", SigningKey: []byte{1}, NextRotation: time.UnixMilli(7).UTC(), SessionKey: []byte{0, 0xff}}
	b, got := keysGolden(t, k, `{"signingKeyId":"k","signingKey":"AQ==","verificationKeys":null,"nextRotation":7,"sessionKey":"AP8="}`)
	if !reflect.DeepEqual(got, k) {
		t.Errorf("DecodeKeys(EncodeKeys(k)) = %+v, want %+v", got, k)
	}
	clear(b)
	if !reflect.DeepEqual(got.SessionKey, k.SessionKey) {
		t.Errorf("SessionKey changed with the JSON it was decoded from: %v", got.SessionKey)
	}
	// An empty key is no key: it is not written, and comes back nil.
	b, err := EncodeKeys(&storage.Keys{SessionKey: []byte{}})
	if err != nil || strings.Contains(string(b), "sessionKey") {
		t.Errorf("EncodeKeys of an empty SessionKey = %s, %v", b, err)
	}
	if got, err = DecodeKeys(b); err != nil || got.SessionKey != nil {
		t.Errorf("DecodeKeys of no sessionKey = %+v, %v; want a nil SessionKey", got, err)
	}
}

func TestTags(t *testing.T) {
	for _, tags := range []map[string]string{nil, {}, {"k": `"v" \ ü`}} {
		b, err := EncodeTags(tags)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeTags(b)
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (tags == nil) || !reflect.DeepEqual(got, tags) && len(tags) > 0 {
			t.Errorf("tags %#v came back as %#v (JSON %s)", tags, got, b)
		}
	}
	if b, _ := EncodeTags(nil); string(b) != "null" {
		t.Errorf("nil tags encode as %s, want null", b)
	}
}

func TestMillis(t *testing.T) {
	for _, tm := range []time.Time{{}, time.Date(2024, 5, 6, 7, 8, 9, 987654321, time.FixedZone("X", -3600))} {
		got := FromMillis(ToMillis(tm))
		if !got.Equal(tm.Truncate(time.Millisecond)) || got.Location() != time.UTC || got.IsZero() != tm.IsZero() {
			t.Errorf("%v came back as %v", tm, got)
		}
	}
	if s := FromMillis(0).String(); !strings.HasPrefix(s, "1970-01-01 00:00:00 +0000 UTC") {
		t.Errorf("FromMillis(0) = %s", s)
	}
}
