package metrics

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a small, strict checker of Prometheus text exposition format 0.0.4, used
// by the tests to parse what the registry writes.

type sample struct {
	name   string
	labels map[string]string
	key    string // name{labels in written order}, for lookups and duplicate checks
	value  float64
}

type family struct {
	name, typ, help string
	samples         []sample
}

type exposition struct {
	families []*family
	byKey    map[string]float64
}

// value returns the value of the series with the given name and labels (as name, value
// pairs in written order), and whether it exists.
func (e *exposition) value(name string, labels ...string) (float64, bool) {
	v, ok := e.byKey[seriesKey(name, labels)]
	return v, ok
}

func seriesKey(name string, labels []string) string {
	var sb strings.Builder
	sb.WriteString(name)
	if len(labels) > 0 {
		sb.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "%s=%q", labels[i], labels[i+1])
		}
		sb.WriteByte('}')
	}
	return sb.String()
}

// parseExposition parses text strictly: every line must be a HELP, TYPE or sample line;
// each family's HELP and TYPE come once, before its samples, and a family's samples are
// contiguous; sample names must belong to the family's type; label names are valid and
// unique; label values use only the \\ \" \n escapes and are valid UTF-8; no series
// appears twice; histogram buckets are sorted by le, cumulative, end at +Inf, and +Inf
// equals _count.
func parseExposition(text string) (*exposition, error) {
	if text == "" || !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("output must be non-empty and end with a line feed")
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("output is not valid UTF-8")
	}
	e := &exposition{byKey: map[string]float64{}}
	seen := map[string]bool{} // family names already closed or open
	var cur *family
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		lineNo := n + 1
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", lineNo, line, fmt.Sprintf(format, args...))
		}
		switch {
		case line == "":
			return nil, fail("empty line")
		case strings.HasPrefix(line, "# HELP "), strings.HasPrefix(line, "# TYPE "):
			rest := line[len("# HELP "):]
			name, arg, ok := strings.Cut(rest, " ")
			if !ok || !validMetricName(name) {
				return nil, fail("bad metric name")
			}
			if cur == nil || cur.name != name {
				if seen[name] {
					return nil, fail("family %s is not contiguous", name)
				}
				if cur != nil {
					if err := checkFamily(cur); err != nil {
						return nil, err
					}
				}
				seen[name] = true
				cur = &family{name: name}
				e.families = append(e.families, cur)
			}
			if len(cur.samples) > 0 {
				return nil, fail("HELP/TYPE after samples")
			}
			if strings.HasPrefix(line, "# HELP ") {
				if cur.help != "" {
					return nil, fail("second HELP")
				}
				if err := checkEscapes(arg, false); err != nil {
					return nil, fail("%v", err)
				}
				cur.help = arg
			} else {
				if cur.typ != "" {
					return nil, fail("second TYPE")
				}
				switch arg {
				case "counter", "gauge", "histogram", "summary", "untyped":
				default:
					return nil, fail("bad type %q", arg)
				}
				cur.typ = arg
			}
		case strings.HasPrefix(line, "#"):
			// Other comments are allowed.
		default:
			s, err := parseSample(line)
			if err != nil {
				return nil, fail("%v", err)
			}
			if cur == nil || !belongs(cur, s) {
				return nil, fail("sample outside its family")
			}
			if _, dup := e.byKey[s.key]; dup {
				return nil, fail("duplicate series")
			}
			e.byKey[s.key] = s.value
			cur.samples = append(cur.samples, s)
		}
	}
	if cur != nil {
		if err := checkFamily(cur); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func belongs(f *family, s sample) bool {
	if f.typ == "histogram" {
		switch s.name {
		case f.name + "_bucket", f.name + "_sum", f.name + "_count":
			return true
		}
		return false
	}
	return s.name == f.name
}

func checkFamily(f *family) error {
	if f.typ == "" || f.help == "" {
		return fmt.Errorf("family %s lacks HELP or TYPE", f.name)
	}
	if len(f.samples) == 0 {
		return fmt.Errorf("family %s has no samples", f.name)
	}
	for _, s := range f.samples {
		if f.typ == "counter" && (s.value < 0 || math.IsNaN(s.value)) {
			return fmt.Errorf("counter %s is %v", s.key, s.value)
		}
	}
	if f.typ != "histogram" {
		return nil
	}
	// Group by the labels other than le.
	type hist struct {
		les, counts   []float64
		count         float64
		hasSum, hasCt bool
	}
	groups := map[string]*hist{}
	group := func(s sample) *hist {
		var parts []string
		for k, v := range s.labels {
			if k != "le" {
				parts = append(parts, k+"="+v)
			}
		}
		slices.Sort(parts)
		g := strings.Join(parts, ",")
		if groups[g] == nil {
			groups[g] = &hist{}
		}
		return groups[g]
	}
	for _, s := range f.samples {
		h := group(s)
		switch s.name {
		case f.name + "_bucket":
			leText, ok := s.labels["le"]
			if !ok {
				return fmt.Errorf("%s has no le", s.key)
			}
			le, err := strconv.ParseFloat(leText, 64)
			if err != nil {
				return fmt.Errorf("%s: bad le: %v", s.key, err)
			}
			if n := len(h.les); n > 0 && !(le > h.les[n-1]) {
				return fmt.Errorf("%s: le not increasing", s.key)
			}
			if n := len(h.counts); n > 0 && s.value < h.counts[n-1] {
				return fmt.Errorf("%s: buckets not cumulative", s.key)
			}
			h.les = append(h.les, le)
			h.counts = append(h.counts, s.value)
		case f.name + "_sum":
			h.hasSum = true
		case f.name + "_count":
			h.hasCt, h.count = true, s.value
		}
	}
	for g, h := range groups {
		n := len(h.les)
		if n == 0 || !math.IsInf(h.les[n-1], 1) {
			return fmt.Errorf("histogram %s{%s} has no +Inf bucket", f.name, g)
		}
		if !h.hasSum || !h.hasCt {
			return fmt.Errorf("histogram %s{%s} lacks _sum or _count", f.name, g)
		}
		if h.counts[n-1] != h.count {
			return fmt.Errorf("histogram %s{%s}: +Inf bucket %v != _count %v", f.name, g, h.counts[n-1], h.count)
		}
	}
	return nil
}

// parseSample parses `name{label="value",...} value [timestamp]`.
func parseSample(line string) (sample, error) {
	var s sample
	i := 0
	for i < len(line) && line[i] != '{' && line[i] != ' ' {
		i++
	}
	s.name = line[:i]
	if !validMetricName(s.name) {
		return s, fmt.Errorf("bad metric name %q", s.name)
	}
	s.labels = map[string]string{}
	var labels []string
	if i < len(line) && line[i] == '{' {
		i++
		for {
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			j := i
			for j < len(line) && line[j] != '=' {
				j++
			}
			lname := line[i:j]
			if !validLabelName(lname) {
				return s, fmt.Errorf("bad label name %q", lname)
			}
			if _, dup := s.labels[lname]; dup {
				return s, fmt.Errorf("label %q twice", lname)
			}
			if j+1 >= len(line) || line[j+1] != '"' {
				return s, fmt.Errorf("label %q: value not quoted", lname)
			}
			i = j + 2
			var val strings.Builder
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' {
					if i+1 >= len(line) {
						return s, fmt.Errorf("dangling backslash")
					}
					switch line[i+1] {
					case '\\':
						val.WriteByte('\\')
					case '"':
						val.WriteByte('"')
					case 'n':
						val.WriteByte('\n')
					default:
						return s, fmt.Errorf("bad escape \\%c", line[i+1])
					}
					i += 2
					continue
				}
				val.WriteByte(c)
				i++
			}
			if !closed {
				return s, fmt.Errorf("unterminated label value")
			}
			s.labels[lname] = val.String()
			labels = append(labels, lname, val.String())
			if i < len(line) && line[i] == ',' {
				i++
				continue
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			return s, fmt.Errorf("expected , or } after label %q", lname)
		}
	}
	if i >= len(line) || line[i] != ' ' {
		return s, fmt.Errorf("no space before value")
	}
	fields := strings.Split(line[i+1:], " ")
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("want value [timestamp], got %q", line[i+1:])
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	s.value = v
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("bad timestamp %q", fields[1])
		}
	}
	s.key = seriesKey(s.name, labels)
	return s, nil
}

func parseValue(text string) (float64, error) {
	switch text {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	// Go float syntax, but not the forms ParseFloat also takes that Prometheus does not.
	if strings.ContainsAny(text, "_xXpPiInN") {
		return 0, fmt.Errorf("bad value %q", text)
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", text)
	}
	return v, nil
}

func checkEscapes(s string, quote bool) error {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 >= len(s) {
				return fmt.Errorf("dangling backslash")
			}
			switch s[i+1] {
			case '\\', 'n':
			case '"':
				if !quote {
					return fmt.Errorf("\\\" escape in HELP")
				}
			default:
				return fmt.Errorf("bad escape \\%c", s[i+1])
			}
			i++
		}
	}
	return nil
}

func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

func validLabelName(s string) bool {
	return validMetricName(s) && !strings.Contains(s, ":")
}
