package api

import (
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ValidationError reports every constraint of the model that an input violates, worded
// as AWS words it (the messages are matched by AWS SDK users). The generated Validate
// methods return it; the HTTP layer answers it as a ValidationException whose message is
// Error().
type ValidationError struct {
	// Violations holds one sentence per violated constraint, depth first in member
	// declaration order, e.g. "Value null at 'maxResults' failed to satisfy constraint:
	// Member must not be null".
	Violations []string
}

// Error returns the AWS message: "1 validation error detected: <v1>" or
// "N validation errors detected: <v1>; <v2>; ...".
func (e *ValidationError) Error() string { return ValidationMessage(e.Violations) }

// ValidationMessage builds the message of a ValidationException from its violations.
func ValidationMessage(violations []string) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(violations)))
	if len(violations) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v)
	}
	return b.String()
}

// Violation formats one violation: "Value '<value>' at '<path>' failed to satisfy
// constraint: <constraint>". Business code may use it for checks the model cannot
// express, so they read like the generated ones.
func Violation(value, path, constraint string) string {
	return "Value '" + value + "' at '" + path + "' failed to satisfy constraint: " + constraint
}

// NullViolation formats the violation of a missing required member at path.
func NullViolation(path string) string {
	return "Value null at '" + path + "' failed to satisfy constraint: Member must not be null"
}

// redacted replaces values of sensitive shapes, and of lists and maps that hold them.
const redacted = "*** Sensitive Data Redacted ***"

// ---------------------------------------------------------------------------------------
// Runtime of the generated validators.
//
// A generated validate method checks each member with the allocation-free ok methods
// below and calls a checker.bad* method only on failure. Validate runs it twice: first
// in fast mode (collect false), where the bad* methods only note that something failed
// and paths are never built, so that a valid input costs no allocation; then, only if the
// input is invalid, in collect mode, which builds paths and messages and visits map
// entries in sorted key order so the message is deterministic.
//
// Within one member the order is: for strings, pattern, then length max, then length
// min, then enum; for lists and maps, size max, then size min, then the element (or key,
// then value) constraint, then the structures they hold.
//
// A required string member cannot be told apart from "" once decoded, so "" counts as
// present and its length and pattern violations are reported; an optional "" is taken
// as absent and skipped.

// strRule holds the constraints of a string shape. min and max are -1 when the model
// declares none.
type strRule struct {
	min, max  int
	pattern   string           // as in the model, for messages
	re        *compiledPattern // anchored translation of pattern
	enum      []string
	sensitive bool
}

func (r *strRule) ok(s string) bool {
	if r.min > 0 || r.max >= 0 {
		n := utf16Len(s)
		if (r.max >= 0 && n > r.max) || n < r.min {
			return false
		}
	}
	if r.re != nil && !r.re.MatchString(s) {
		return false
	}
	if r.enum != nil && !slices.Contains(r.enum, s) {
		return false
	}
	return true
}

// violated returns the constraints s violates, in AWS order.
func (r *strRule) violated(s string) []string {
	var out []string
	if r.re != nil && !r.re.MatchString(s) {
		out = append(out, r.patternText())
	}
	n := utf16Len(s)
	if r.max >= 0 && n > r.max {
		out = append(out, lengthMax(r.max))
	}
	if r.min >= 0 && n < r.min {
		out = append(out, lengthMin(r.min))
	}
	if r.enum != nil && !slices.Contains(r.enum, s) {
		out = append(out, r.enumText())
	}
	return out
}

// declared lists every constraint of the shape, as AWS lists them for list elements and
// map keys and values: "[c1, c2, ...]".
func (r *strRule) declared() string {
	var out []string
	if r.max >= 0 {
		out = append(out, lengthMax(r.max))
	}
	if r.min >= 0 {
		out = append(out, lengthMin(r.min))
	}
	if r.re != nil {
		out = append(out, r.patternText())
	}
	if r.enum != nil {
		out = append(out, r.enumText())
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func (r *strRule) patternText() string {
	return "Member must satisfy regular expression pattern: " + r.pattern
}

func (r *strRule) enumText() string {
	return "Member must satisfy enum value set: [" + strings.Join(r.enum, ", ") + "]"
}

func lengthMax(n int) string {
	return "Member must have length less than or equal to " + strconv.Itoa(n)
}

func lengthMin(n int) string {
	return "Member must have length greater than or equal to " + strconv.Itoa(n)
}

// utf16Len counts s in UTF-16 code units, as Java's String.length does, without
// allocating. Invalid UTF-8 bytes count one unit each (they decode to U+FFFD).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// numRule holds the constraints of an integer or long shape.
type numRule struct {
	min, max       int64
	hasMin, hasMax bool
}

func (r *numRule) ok(n int64) bool {
	return !(r.hasMax && n > r.max) && !(r.hasMin && n < r.min)
}

// sizeRule holds the size constraints of a list or map shape; -1 when not declared.
type sizeRule struct {
	min, max int
}

func (r *sizeRule) ok(n int) bool {
	return !(r.max >= 0 && n > r.max) && n >= r.min
}

func allOK(l []string, r *strRule) bool {
	for _, s := range l {
		if !r.ok(s) {
			return false
		}
	}
	return true
}

func keysOK[V any](m map[string]V, r *strRule) bool {
	for k := range m {
		if !r.ok(k) {
			return false
		}
	}
	return true
}

func valuesOK(m map[string]string, r *strRule) bool {
	for _, v := range m {
		if !r.ok(v) {
			return false
		}
	}
	return true
}

// checker collects violations for the generated validate methods. Its zero value is the
// fast mode.
type checker struct {
	collect bool     // build violations; otherwise only note bad
	bad     bool     // a violation was found
	errs    []string // collected violations
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Violations: c.errs}
}

// join gives the path of member name under parent path p; "" in fast mode.
func (c *checker) join(p, name string) string {
	if !c.collect {
		return ""
	}
	if p == "" {
		return name
	}
	return p + "." + name
}

// index gives the path of the i-th (0-based) structure of list member name.
func (c *checker) index(p, name string, i int) string {
	if !c.collect {
		return ""
	}
	return c.join(p, name) + "." + strconv.Itoa(i+1) + ".member"
}

// key gives the path of the structure under key k of map member name.
func (c *checker) key(p, name, k string) string {
	if !c.collect {
		return ""
	}
	return c.join(p, name) + "." + k + ".member"
}

func (c *checker) add(value, p, name, constraint string) {
	c.errs = append(c.errs, Violation(value, c.join(p, name), constraint))
}

func (c *checker) null(p, name string) {
	c.bad = true
	if c.collect {
		c.errs = append(c.errs, NullViolation(c.join(p, name)))
	}
}

func (c *checker) badString(s, p, name string, r *strRule) {
	c.bad = true
	if !c.collect {
		return
	}
	value := s
	if r.sensitive {
		value = redacted
	}
	for _, v := range r.violated(s) {
		c.add(value, p, name, v)
	}
}

func (c *checker) badNumber(n int64, p, name string, r *numRule) {
	c.bad = true
	if !c.collect {
		return
	}
	value := strconv.FormatInt(n, 10)
	if r.hasMax && n > r.max {
		c.add(value, p, name, "Member must have value less than or equal to "+strconv.FormatInt(r.max, 10))
	}
	if r.hasMin && n < r.min {
		c.add(value, p, name, "Member must have value greater than or equal to "+strconv.FormatInt(r.min, 10))
	}
}

func (c *checker) badSize(v any, n int, p, name string, r *sizeRule, sensitive bool) {
	c.bad = true
	if !c.collect {
		return
	}
	value := render(v, sensitive)
	if r.max >= 0 && n > r.max {
		c.add(value, p, name, lengthMax(r.max))
	}
	if n < r.min {
		c.add(value, p, name, lengthMin(r.min))
	}
}

func (c *checker) badElements(v any, p, name string, r *strRule, sensitive bool) {
	c.bad = true
	if c.collect {
		c.add(render(v, sensitive), p, name, "Member must satisfy constraint: "+r.declared())
	}
}

func (c *checker) badKeys(v any, p, name string, r *strRule, sensitive bool) {
	c.bad = true
	if c.collect {
		c.add(render(v, sensitive), p, name, "Map keys must satisfy constraint: "+r.declared())
	}
}

func (c *checker) badValues(v any, p, name string, r *strRule, sensitive bool) {
	c.bad = true
	if c.collect {
		c.add(render(v, sensitive), p, name, "Map value must satisfy constraint: "+r.declared())
	}
}

// render writes a value as Java's toString would: strings as is, numbers and booleans
// plainly, lists "[a, b]", maps "{k1=v1, k2=v2}" with keys sorted, structures
// "{Member1=v1, Member2=v2}" with their unset members left out, nil "null". A sensitive
// value is replaced whole by "*** Sensitive Data Redacted ***".
func render(v any, sensitive bool) string {
	if sensitive {
		return redacted
	}
	var b strings.Builder
	renderValue(&b, reflect.ValueOf(v))
	return b.String()
}

var timeType = reflect.TypeFor[Time]()

func renderValue(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("null")
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		renderValue(b, v.Elem())
	case reflect.String:
		b.WriteString(v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("null")
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			renderValue(b, v.Index(i))
		}
		b.WriteByte(']')
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			renderValue(b, k)
			b.WriteByte('=')
			renderValue(b, v.MapIndex(k))
		}
		b.WriteByte('}')
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(Time)
			b.Write(t.appendEpoch(nil))
			return
		}
		b.WriteByte('{')
		first := true
		for i := range v.NumField() {
			f := v.Field(i)
			if !v.Type().Field(i).IsExported() || f.IsZero() {
				continue
			}
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString(v.Type().Field(i).Name)
			b.WriteByte('=')
			renderValue(b, f)
		}
		b.WriteByte('}')
	default:
		b.WriteString(v.String())
	}
}
