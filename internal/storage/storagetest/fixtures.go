package storagetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

const (
	acctA   = "111111111111"
	acctB   = "222222222222"
	acctC   = "333333333333"
	regionA = "us-east-1"
	regionB = "eu-west-1"

	// noLimit is a quota no subtest reaches. The suite never passes 0: the contract does
	// not say whether 0 means "no limit" or "no pools".
	noLimit = 1 << 20
)

// guid returns a random lowercase 8-4-4-4-12 hex string, the shape of the guid part of
// real pool IDs. Random rather than sequential so that backends cannot pass the ordering
// checks by accident of insertion order.
func guid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newID(region string) string { return region + ":" + guid() }

func ptr[T any](v T) *T { return &v }

// fullPool returns a pool with every field set to a value that differs from its zero value
// (requireAllFieldsSet checks that), so a backend that drops or mangles a field fails the
// round trip. The strings carry quotes, backslashes, LIKE wildcards and non-ASCII text to
// catch hand-rolled escaping; the times have a non-UTC zone and nanoseconds.
func fullPool(account, region string, classic *bool) *storage.Pool {
	zone := time.FixedZone("UTC+2", 2*60*60)
	created := time.Date(2024, 3, 9, 14, 30, 15, 123456789, zone)
	return &storage.Pool{
		AccountID:                 account,
		Region:                    region,
		ID:                        newID(region),
		Name:                      `pool "ünïcødé" ☃ 'x' %_ \ end`,
		AllowUnauthenticated:      true,
		AllowClassicFlow:          classic,
		SupportedLoginProviders:   map[string]string{"graph.facebook.com": "7346241598935552", "accounts.google.com": "123456789012.apps.googleusercontent.com", "login.example.com": "dev"},
		DeveloperProviderName:     "login.example.com",
		OpenIDConnectProviderARNs: []string{"arn:aws:iam::" + account + ":oidc-provider/server.example.com", "arn:aws:iam::" + account + ":oidc-provider/other.example.com"},
		CognitoIdentityProviders: []storage.CognitoProvider{
			{ProviderName: "cognito-idp." + region + ".amazonaws.com/" + region + "_AbCdEf123", ClientID: "1example23456789", ServerSideTokenCheck: true},
			{ProviderName: "cognito-idp." + region + ".amazonaws.com/" + region + "_ZyXwVu987", ClientID: "2example98765432", ServerSideTokenCheck: false},
		},
		SAMLProviderARNs: []string{"arn:aws:iam::" + account + ":saml-provider/corp"},
		Tags:             map[string]string{"team": "identity", "cost-center": "42", "empty-value": "", "ключ": "значение"},
		Roles: map[string]string{
			"authenticated":   "arn:aws:iam::" + account + ":role/auth",
			"unauthenticated": "arn:aws:iam::" + account + ":role/unauth",
		},
		RoleMappings: map[string]storage.RoleMapping{
			"graph.facebook.com": {Type: "Token", AmbiguousRoleResolution: "AuthenticatedRole"},
			"cognito-idp." + region + ".amazonaws.com/" + region + "_AbCdEf123:1example23456789": {
				Type:                    "Rules",
				AmbiguousRoleResolution: "Deny",
				Rules: []storage.MappingRule{
					{Claim: "cognito:groups", MatchType: "Contains", Value: "admins", RoleARN: "arn:aws:iam::" + account + ":role/admin"},
					{Claim: "email", MatchType: "Equals", Value: "a@example.com", RoleARN: "arn:aws:iam::" + account + ":role/a"},
				},
			},
		},
		PrincipalTagMaps: map[string]storage.PrincipalTagMap{
			"cognito-idp." + region + ".amazonaws.com/" + region + "_AbCdEf123": {UseDefaults: true},
			"arn:aws:iam::" + account + ":oidc-provider/server.example.com": {
				Tags: map[string]string{"department": "custom:dept", "ключ": `claim "q" \ %_`, "empty-claim": ""},
			},
		},
		CreatedAt: created,
		UpdatedAt: created.Add(90*time.Minute + 987654321),
	}
}

// minimalPool has every optional field at its zero value: nil maps and slices, nil
// AllowClassicFlow, empty strings.
func minimalPool(account, region string) *storage.Pool {
	now := time.Now() // carries a monotonic reading, which backends must cope with
	return &storage.Pool{AccountID: account, Region: region, ID: newID(region), Name: "minimal", CreatedAt: now, UpdatedAt: now}
}

// emptyCollectionsPool has empty but non-nil maps and slices. Backends keep nil and empty
// apart, like Clone does, so that what the API layer renders does not depend on the
// backend.
func emptyCollectionsPool(account, region string) *storage.Pool {
	p := minimalPool(account, region)
	p.Name = "empty collections"
	p.SupportedLoginProviders = map[string]string{}
	p.OpenIDConnectProviderARNs = []string{}
	p.CognitoIdentityProviders = []storage.CognitoProvider{}
	p.SAMLProviderARNs = []string{}
	p.Tags = map[string]string{}
	p.Roles = map[string]string{}
	p.RoleMappings = map[string]storage.RoleMapping{
		"www.amazon.com": {Type: "Rules", AmbiguousRoleResolution: "Deny", Rules: []storage.MappingRule{}},
	}
	p.PrincipalTagMaps = map[string]storage.PrincipalTagMap{
		"accounts.google.com": {Tags: map[string]string{}},
	}
	return p
}

var storagePkg = reflect.TypeFor[storage.Pool]().PkgPath()

// unsetFields lists the fields (as Type.Field) of storage's own struct types reachable from
// v that hold their zero value (or are empty) everywhere they occur. It keeps fullPool
// honest when a field is added to storage.Pool or its parts.
func unsetFields(v any) []string {
	set := map[string]bool{}
	var order []string
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			if v.Type().PkgPath() != storagePkg {
				return // time.Time and the like are leaves
			}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				key := v.Type().Name() + "." + f.Name
				if _, ok := set[key]; !ok {
					order = append(order, key)
				}
				set[key] = set[key] || !isEmpty(v.Field(i))
				walk(v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Value())
			}
		}
	}
	walk(reflect.ValueOf(v))
	var out []string
	for _, k := range order {
		if !set[k] {
			out = append(out, k)
		}
	}
	return out
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		return v.Len() == 0
	}
	return v.IsZero()
}

// sharedRefs lists the places where a and b share memory (the same map, slice backing
// array or pointee). Two records handed out by a store, or a pool and its Clone, must
// share nothing, or a caller mutating one would silently change the other.
func sharedRefs(a, b any) []string {
	var out []string
	var walk func(a, b reflect.Value, path string)
	walk = func(a, b reflect.Value, path string) {
		switch a.Kind() {
		case reflect.Pointer:
			if a.IsNil() || b.IsNil() {
				return
			}
			if a.Pointer() == b.Pointer() {
				out = append(out, path)
				return
			}
			walk(a.Elem(), b.Elem(), path)
		case reflect.Map:
			if a.IsNil() || b.IsNil() {
				return
			}
			if a.UnsafePointer() == b.UnsafePointer() {
				out = append(out, path)
				return
			}
			for it := a.MapRange(); it.Next(); {
				if bv := b.MapIndex(it.Key()); bv.IsValid() {
					walk(it.Value(), bv, fmt.Sprintf("%s[%v]", path, it.Key()))
				}
			}
		case reflect.Slice:
			if a.Cap() > 0 && b.Cap() > 0 && a.UnsafePointer() == b.UnsafePointer() {
				out = append(out, path)
				return
			}
			for i := range min(a.Len(), b.Len()) {
				walk(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Struct:
			if a.Type().PkgPath() != storagePkg {
				return
			}
			for i := range a.NumField() {
				walk(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	}
	walk(reflect.ValueOf(a), reflect.ValueOf(b), reflect.TypeOf(a).String())
	return out
}

// diffPools describes how got differs from want. Times are compared as instants truncated
// to the millisecond, the precision every backend must keep; everything else must be
// equal, nil and empty collections included.
func diffPools(got, want *storage.Pool) []string {
	if got == nil || want == nil {
		if got != want {
			return []string{fmt.Sprintf("got %v, want %v", got, want)}
		}
		return nil
	}
	var d []string
	for _, tf := range []struct {
		name      string
		got, want time.Time
	}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"UpdatedAt", got.UpdatedAt, want.UpdatedAt}} {
		if !tf.got.Truncate(time.Millisecond).Equal(tf.want.Truncate(time.Millisecond)) {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", tf.name, tf.got, tf.want))
		}
	}
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		if name == "CreatedAt" || name == "UpdatedAt" {
			continue
		}
		gf, wf := g.Field(i), w.Field(i)
		if reflect.DeepEqual(gf.Interface(), wf.Interface()) {
			continue
		}
		msg := fmt.Sprintf("%s: got %s, want %s", name, show(gf), show(wf))
		if (gf.Kind() == reflect.Map || gf.Kind() == reflect.Slice) && gf.Len() == 0 && wf.Len() == 0 {
			msg += " (nil and empty must be kept apart)"
		}
		d = append(d, msg)
	}
	return d
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		return fmt.Sprintf("&%#v", v.Elem().Interface())
	}
	return fmt.Sprintf("%#v", v.Interface())
}

func requirePoolEqual(t *testing.T, what string, got, want *storage.Pool) {
	t.Helper()
	if d := diffPools(got, want); len(d) > 0 {
		t.Errorf("%s differs from what was stored:", what)
		for _, l := range d {
			t.Errorf("  %s", l)
		}
	}
}

// loginOf builds a Login.
func loginOf(provider, subject string) storage.Login {
	return storage.Login{Provider: provider, Subject: subject}
}

// newIdentity returns an identity of poolID with a new ID in the pool's region and the
// given logins (nil when there are none). Its times have a non-UTC zone, nanoseconds and
// a monotonic reading, none of which a backend has to keep beyond the millisecond.
func newIdentity(poolID string, logins ...storage.Login) *storage.Identity {
	region, _, _ := strings.Cut(poolID, ":")
	zone := time.FixedZone("UTC-5", -5*60*60)
	created := time.Date(2024, 5, 6, 7, 8, 9, 987654321, zone)
	return &storage.Identity{
		PoolID:    poolID,
		ID:        newID(region),
		Logins:    logins,
		CreatedAt: created,
		UpdatedAt: time.Now(),
	}
}

func cloneIdentity(id *storage.Identity) *storage.Identity {
	c := *id
	c.Logins = slices.Clone(id.Logins)
	return &c
}

// fullKeys returns keys with every field set, key material that is not valid UTF-8, a
// retired key with an expiry and the current one without (the zero time).
func fullKeys() *storage.Keys {
	zone := time.FixedZone("UTC+9", 9*60*60)
	return &storage.Keys{
		SigningKeyID: "key-2024-05 \"ü\"",
		SigningKey:   []byte{0x00, 0x01, 0xfe, 0xff, '"', '\\', 0x80, 'k'},
		VerificationKeys: []storage.VerificationKey{
			{KeyID: "key-2024-05 \"ü\"", PublicKey: []byte{0x30, 0x82, 0x01, 0x22, 0x00, 0xff}},
			{KeyID: "key-2024-04", PublicKey: []byte("-----BEGIN PUBLIC KEY-----\n..."), Expiry: time.Date(2024, 5, 8, 1, 2, 3, 456789012, zone)},
		},
		NextRotation: time.Date(2024, 6, 1, 0, 0, 0, 123456789, zone),
		SessionKey:   []byte{0xff, 0x00, '"', 's', 0x80},
	}
}

func cloneKeys(k *storage.Keys) *storage.Keys {
	c := *k
	c.SigningKey = slices.Clone(k.SigningKey)
	c.SessionKey = slices.Clone(k.SessionKey)
	if k.VerificationKeys != nil {
		c.VerificationKeys = make([]storage.VerificationKey, len(k.VerificationKeys))
		for i, v := range k.VerificationKeys {
			v.PublicKey = slices.Clone(v.PublicKey)
			c.VerificationKeys[i] = v
		}
	}
	return &c
}

var timeType = reflect.TypeFor[time.Time]()

// diffDeep describes how got differs from want, anywhere inside them. Times compare as
// instants at the millisecond; maps and slices must agree on nil versus empty.
func diffDeep(got, want any) []string {
	var d []string
	var walk func(g, w reflect.Value, path string)
	walk = func(g, w reflect.Value, path string) {
		if g.Type() == timeType {
			gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
			if !gt.Truncate(time.Millisecond).Equal(wt.Truncate(time.Millisecond)) {
				d = append(d, fmt.Sprintf("%s: got %v, want %v", path, gt, wt))
			}
			return
		}
		switch g.Kind() {
		case reflect.Pointer:
			if g.IsNil() || w.IsNil() {
				if g.IsNil() != w.IsNil() {
					d = append(d, fmt.Sprintf("%s: got %s, want %s", path, show(g), show(w)))
				}
				return
			}
			walk(g.Elem(), w.Elem(), path)
		case reflect.Struct:
			for i := range g.NumField() {
				walk(g.Field(i), w.Field(i), path+"."+g.Type().Field(i).Name)
			}
		case reflect.Slice, reflect.Map:
			if g.IsNil() != w.IsNil() || g.Len() != w.Len() {
				msg := fmt.Sprintf("%s: got %s, want %s", path, show(g), show(w))
				if g.Len() == 0 && w.Len() == 0 {
					msg += " (nil and empty must be kept apart)"
				}
				d = append(d, msg)
				return
			}
			if g.Kind() == reflect.Map {
				for it := w.MapRange(); it.Next(); {
					gv := g.MapIndex(it.Key())
					if !gv.IsValid() {
						d = append(d, fmt.Sprintf("%s: key %v missing", path, it.Key()))
						continue
					}
					walk(gv, it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()))
				}
				return
			}
			for i := range g.Len() {
				walk(g.Index(i), w.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		default:
			if g.Interface() != w.Interface() {
				d = append(d, fmt.Sprintf("%s: got %#v, want %#v", path, g.Interface(), w.Interface()))
			}
		}
	}
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Type() != w.Type() {
		return []string{fmt.Sprintf("got a %v, want a %v", g.Type(), w.Type())}
	}
	walk(g, w, g.Type().String())
	return d
}

// requireEqual reports the differences diffDeep finds between got and want.
func requireEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diffDeep(got, want); len(d) > 0 {
		t.Errorf("%s differs from what was stored:", what)
		for _, l := range d {
			t.Errorf("  %s", l)
		}
	}
}
