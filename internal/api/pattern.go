package api

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// compiledPattern is one of the model's string patterns, anchored and compiled. Most of
// them are runs of ASCII character classes joined by literals (`[\w-]+:[0-9a-f-]+` for
// pool and identity IDs, `\d+` for account IDs): those are matched by a scan over one
// byte table per run, as exactly as regexp would but without its machine, which took 2 %
// of a GetId's CPU. The others go to regexp.
type compiledPattern struct {
	re    *regexp.Regexp
	steps []patternStep // nil: match with re
}

// patternStep is one element of a pattern that scans: a run of one or more bytes of set,
// or the literal lit when set is nil.
type patternStep struct {
	set *[256]bool
	lit string
}

// compilePattern compiles an anchored pattern (`^(?:...)$`); it panics on a bad one, as
// regexp.MustCompile does, since the patterns come from the generated code.
func compilePattern(expr string) *compiledPattern {
	return &compiledPattern{re: regexp.MustCompile(expr), steps: scanSteps(expr)}
}

// MatchString reports whether s matches the whole pattern.
func (p *compiledPattern) MatchString(s string) bool {
	if p.steps == nil {
		return p.re.MatchString(s)
	}
	i := 0
	for _, st := range p.steps {
		if st.set == nil {
			if !strings.HasPrefix(s[i:], st.lit) {
				return false
			}
			i += len(st.lit)
			continue
		}
		j := i
		for j < len(s) && st.set[s[j]] {
			j++
		}
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

// scanSteps returns the steps that match expr byte by byte, or nil when expr is not a
// sequence of literals and one-or-more runs of a class that a byte can decide.
func scanSteps(expr string) []patternStep {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	items := flatten(re.Simplify())
	if len(items) < 3 || items[0].Op != syntax.OpBeginText || items[len(items)-1].Op != syntax.OpEndText {
		return nil
	}
	var steps []patternStep
	for _, it := range items[1 : len(items)-1] {
		switch {
		case it.Op == syntax.OpLiteral && it.Flags&syntax.FoldCase == 0:
			lit := string(it.Rune)
			for i := range len(lit) {
				if lit[i] >= 0x80 {
					return nil
				}
			}
			steps = append(steps, patternStep{lit: lit})
		case it.Op == syntax.OpPlus && it.Sub[0].Op == syntax.OpCharClass:
			set, ok := byteSet(it.Sub[0].Rune)
			if !ok {
				return nil
			}
			steps = append(steps, patternStep{set: set})
		default:
			return nil
		}
	}
	// A run is taken greedily, never given back: exact only when what follows it cannot
	// continue it.
	for i := 0; i+1 < len(steps); i++ {
		run, next := steps[i].set, steps[i+1]
		if run == nil {
			continue
		}
		if next.set == nil && run[next.lit[0]] {
			return nil
		}
		if next.set != nil {
			for b := range 256 {
				if run[b] && next.set[b] {
					return nil
				}
			}
		}
	}
	return steps
}

// flatten returns the elements of a concatenation, nested ones included.
func flatten(re *syntax.Regexp) []*syntax.Regexp {
	if re.Op != syntax.OpConcat {
		return []*syntax.Regexp{re}
	}
	var out []*syntax.Regexp
	for _, sub := range re.Sub {
		out = append(out, flatten(sub)...)
	}
	return out
}

// byteSet turns a class's rune ranges into the bytes that decide it. An ASCII rune is its
// byte. Every other rune, and every byte that is not valid UTF-8 (which regexp reads as
// U+FFFD), is made of bytes from 0x80 up, so the class must take all of them or none: a
// class that takes some non-ASCII runes only cannot be decided by a byte.
func byteSet(ranges []rune) (*[256]bool, bool) {
	var set [256]bool
	nonASCII := false
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi >= 0x80 {
			if lo > 0x80 || hi != unicode.MaxRune {
				return nil, false
			}
			nonASCII = true
			hi = 0x7f
		}
		for r := lo; r <= hi; r++ {
			set[r] = true
		}
	}
	if nonASCII {
		for b := 0x80; b < 256; b++ {
			set[b] = true
		}
	}
	return &set, true
}
