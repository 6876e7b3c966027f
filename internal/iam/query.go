package iam

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// params are the decoded parameters of one request, by name (see awsquery.Params), with
// the readers of IAM's scalars, lists and tags.
type params map[string]string

// str returns a scalar member and whether it was given at all.
func (p params) str(name string) (string, bool) {
	v, ok := p[name]
	return v, ok
}

// memberIndex parses the N of "<list>.member.N": a positive decimal without sign or
// leading zeros, as SDKs write it. Anything else is not a list member, and like every
// parameter IAM does not know, it is ignored.
func memberIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// list returns the members of the list parameter name, sent as "name.member.1",
// "name.member.2", ..., in index order. present is false when the request does not
// mention the list; "name=" alone, which is how SDKs send an empty list, is present and
// empty. Gaps in the numbering are closed up.
func (p params) list(name string) (vals []string, present bool) {
	prefix := name + ".member."
	type item struct {
		n int
		v string
	}
	var items []item
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if n, ok := memberIndex(rest); ok {
			items = append(items, item{n, v})
		}
	}
	_, empty := p[name]
	if len(items) == 0 {
		if empty {
			return []string{}, true
		}
		return nil, false
	}
	slices.SortFunc(items, func(a, b item) int { return a.n - b.n })
	vals = make([]string, len(items))
	for i, it := range items {
		vals[i] = it.v
	}
	return vals, true
}

// tag is one member of a Tags list as the request gave it; a nil field was absent.
type tag struct {
	Key, Value *string
}

// tags returns the members of the Tags list ("Tags.member.N.Key" and
// "Tags.member.N.Value") in index order, or nil when there are none.
func (p params) tags(name string) []tag {
	prefix := name + ".member."
	byIndex := map[int]*tag{}
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, field, ok := strings.Cut(rest, ".")
		if !ok || (field != "Key" && field != "Value") {
			continue
		}
		n, ok := memberIndex(idx)
		if !ok {
			continue
		}
		t := byIndex[n]
		if t == nil {
			t = &tag{}
			byIndex[n] = t
		}
		if field == "Key" {
			t.Key = &v
		} else {
			t.Value = &v
		}
	}
	if len(byIndex) == 0 {
		return nil
	}
	keys := make([]int, 0, len(byIndex))
	for n := range byIndex {
		keys = append(keys, n)
	}
	slices.Sort(keys)
	out := make([]tag, len(keys))
	for i, n := range keys {
		out[i] = *byIndex[n]
	}
	return out
}

// charCount is the length of s as IAM's model counts it, in characters.
func charCount(s string) int { return utf8.RuneCountInString(s) }

// memberField names the i-th member (0-based) of a list in a validation message, as
// IAM does: "clientIDList.1.member".
func memberField(list string, i int) string {
	return list + "." + strconv.Itoa(i+1) + ".member"
}
