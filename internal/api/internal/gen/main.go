// Command gen reads the botocore model of the Amazon Cognito Identity API and writes the
// generated files of package api: zz_generated_types.go, zz_generated_validate.go and
// zz_generated_operations.go.
//
// It is run by go generate from internal/api:
//
//	go run ./internal/gen [-model model/cognito-identity-2014-06-30.json] [-out .]
//
// The output depends only on the model's content (and its base name, quoted in the
// header), so running it twice, or into another directory, gives identical files.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func main() {
	modelPath := flag.String("model", "model/cognito-identity-2014-06-30.json", "path of the botocore JSON model")
	outDir := flag.String("out", ".", "directory that receives the generated files")
	flag.Parse()
	if err := run(*modelPath, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(modelPath, outDir string) error {
	raw, err := os.ReadFile(modelPath)
	if err != nil {
		return err
	}
	m, err := parseModel(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", modelPath, err)
	}
	g := &generator{m: m, source: filepath.ToSlash(filepath.Join("model", filepath.Base(modelPath)))}
	files := []struct {
		name string
		gen  func() ([]byte, error)
	}{
		{"zz_generated_types.go", g.types},
		{"zz_generated_validate.go", g.validate},
		{"zz_generated_operations.go", g.operations},
	}
	for _, f := range files {
		src, err := f.gen()
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(outDir, f.name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// Order-preserving JSON: member declaration order and operation order matter, and
// encoding/json's maps lose them.

type node struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	obj  map[string]*node
	arr  []*node
	str  string
	num  json.Number
	b    bool
}

func decodeNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o', obj: map[string]*node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := n.obj[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				n.keys = append(n.keys, k)
				n.obj[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	case string:
		return &node{kind: 's', str: t}, nil
	case json.Number:
		return &node{kind: 'n', num: t}, nil
	case bool:
		return &node{kind: 'b', b: t}, nil
	case nil:
		return &node{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func (n *node) get(k string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	return n.obj[k]
}

func (n *node) getString(k string) string {
	if v := n.get(k); v != nil && v.kind == 's' {
		return v.str
	}
	return ""
}

func (n *node) getBool(k string) bool {
	v := n.get(k)
	return v != nil && v.kind == 'b' && v.b
}

// ---------------------------------------------------------------------------------------
// Model.

type model struct {
	apiVersion   string
	targetPrefix string
	operations   []*operation
	shapes       map[string]*shape
	shapeNames   []string // sorted
}

type operation struct {
	name, input, output, authtype string
}

type shape struct {
	name      string
	typ       string
	members   []member
	required  map[string]bool
	elem      string // list member
	key       string // map key
	value     string // map value
	min, max  *int64
	pattern   string
	enum      []string
	sensitive bool
	exception bool
}

type member struct {
	name  string
	shape string
}

func parseModel(raw []byte) (*model, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	root, err := decodeNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the model")
	}
	meta := root.get("metadata")
	m := &model{
		apiVersion:   meta.getString("apiVersion"),
		targetPrefix: meta.getString("targetPrefix"),
		shapes:       map[string]*shape{},
	}
	if m.apiVersion == "" || m.targetPrefix == "" {
		return nil, errors.New("metadata.apiVersion and metadata.targetPrefix are required")
	}
	if p := meta.getString("protocol"); p != "json" {
		return nil, fmt.Errorf("protocol %q is not json", p)
	}

	shapes := root.get("shapes")
	if shapes == nil {
		return nil, errors.New("no shapes")
	}
	for _, name := range shapes.keys {
		sn := shapes.obj[name]
		s := &shape{
			name:      name,
			typ:       sn.getString("type"),
			required:  map[string]bool{},
			pattern:   sn.getString("pattern"),
			sensitive: sn.getBool("sensitive"),
			exception: sn.getBool("exception"),
		}
		for _, k := range []string{"min", "max"} {
			v := sn.get(k)
			if v == nil {
				continue
			}
			i, err := strconv.ParseInt(string(v.num), 10, 64)
			if v.kind != 'n' || err != nil {
				return nil, fmt.Errorf("shape %s: %s %q is not an integer", name, k, v.num)
			}
			if k == "min" {
				s.min = &i
			} else {
				s.max = &i
			}
		}
		if e := sn.get("enum"); e != nil {
			for _, v := range e.arr {
				s.enum = append(s.enum, v.str)
			}
		}
		switch s.typ {
		case "structure":
			ms := sn.get("members")
			if ms != nil {
				for _, mn := range ms.keys {
					s.members = append(s.members, member{name: mn, shape: ms.obj[mn].getString("shape")})
				}
			}
			if r := sn.get("required"); r != nil {
				for _, v := range r.arr {
					s.required[v.str] = true
				}
			}
		case "list":
			s.elem = sn.get("member").getString("shape")
		case "map":
			s.key = sn.get("key").getString("shape")
			s.value = sn.get("value").getString("shape")
		}
		m.shapes[name] = s
		m.shapeNames = append(m.shapeNames, name)
	}
	sort.Strings(m.shapeNames)

	ops := root.get("operations")
	if ops == nil {
		return nil, errors.New("no operations")
	}
	for _, name := range ops.keys {
		on := ops.obj[name]
		m.operations = append(m.operations, &operation{
			name:     name,
			input:    on.get("input").getString("shape"),
			output:   on.get("output").getString("shape"),
			authtype: on.getString("authtype"),
		})
	}
	return m, m.check()
}

// check rejects what the generator does not know how to map, so a model change fails
// loudly here instead of producing wrong code.
func (m *model) check() error {
	ref := func(from, to string) error {
		if _, ok := m.shapes[to]; !ok {
			return fmt.Errorf("%s refers to unknown shape %q", from, to)
		}
		return nil
	}
	for _, name := range m.shapeNames {
		s := m.shapes[name]
		switch s.typ {
		case "structure":
			for _, mb := range s.members {
				if !s.exception && !isExported(mb.name) {
					return fmt.Errorf("%s.%s is not an exported Go identifier", name, mb.name)
				}
				if err := ref(name+"."+mb.name, mb.shape); err != nil {
					return err
				}
			}
			for r := range s.required {
				if !slices.ContainsFunc(s.members, func(mb member) bool { return mb.name == r }) {
					return fmt.Errorf("%s requires unknown member %s", name, r)
				}
			}
			if !s.exception && !isExported(name) {
				return fmt.Errorf("structure %s is not an exported Go identifier", name)
			}
		case "list":
			if err := ref(name, s.elem); err != nil {
				return err
			}
		case "map":
			if err := ref(name, s.key); err != nil {
				return err
			}
			if err := ref(name, s.value); err != nil {
				return err
			}
			if m.shapes[s.key].typ != "string" {
				return fmt.Errorf("map %s has a non-string key", name)
			}
		case "string", "boolean", "integer", "long", "timestamp", "blob", "double", "float":
		default:
			return fmt.Errorf("shape %s has unsupported type %q", name, s.typ)
		}
		if s.pattern != "" {
			if _, err := regexp.Compile(anchored(s.pattern)); err != nil {
				return fmt.Errorf("shape %s: pattern: %w", name, err)
			}
		}
	}
	for _, op := range m.operations {
		if op.input != "" {
			if err := ref(op.name, op.input); err != nil {
				return err
			}
		}
		if op.output != "" {
			if err := ref(op.name, op.output); err != nil {
				return err
			}
		}
	}
	return nil
}

func isExported(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if i == 0 && !unicode.IsUpper(r) {
			return false
		}
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------------------
// Generation helpers.

type generator struct {
	m      *model
	source string
}

func (g *generator) header(b *bytes.Buffer) {
	fmt.Fprintf(b, "// Code generated by go run ./internal/gen from %s; DO NOT EDIT.\n\n", g.source)
	b.WriteString("package api\n\n")
}

func gofmt(b *bytes.Buffer) ([]byte, error) {
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, b.Bytes())
	}
	return src, nil
}

// lowerFirst gives the wire path of a member: its name with the first letter lower-cased.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// goType maps a shape to its Go type; inside is true for list elements and map values,
// where scalars and structures are held by value.
func (g *generator) goType(name string, inside bool) string {
	s := g.m.shapes[name]
	ptr := "*"
	if inside {
		ptr = ""
	}
	switch s.typ {
	case "string":
		return "string"
	case "boolean":
		return ptr + "bool"
	case "integer":
		return ptr + "int32"
	case "long":
		return ptr + "int64"
	case "float":
		return ptr + "float32"
	case "double":
		return ptr + "float64"
	case "timestamp":
		return ptr + "Time"
	case "blob":
		return "[]byte"
	case "structure":
		return ptr + s.name
	case "list":
		return "[]" + g.goType(s.elem, true)
	case "map":
		return "map[string]" + g.goType(s.value, true)
	}
	panic("unreachable: " + s.typ)
}

// constraintText describes a shape's declared constraints for a field comment.
func constraintText(s *shape) string {
	var parts []string
	if s.min != nil || s.max != nil {
		word := "length"
		if s.typ == "integer" || s.typ == "long" {
			word = "value"
		}
		lo, hi := "", ""
		if s.min != nil {
			lo = strconv.FormatInt(*s.min, 10)
		}
		if s.max != nil {
			hi = strconv.FormatInt(*s.max, 10)
		}
		parts = append(parts, word+" "+lo+".."+hi)
	}
	if s.pattern != "" {
		parts = append(parts, "pattern "+s.pattern)
	}
	if len(s.enum) > 0 {
		parts = append(parts, "one of "+strings.Join(s.enum, ", "))
	}
	if s.sensitive {
		parts = append(parts, "sensitive")
	}
	return strings.Join(parts, "; ")
}

// goString writes s as a Go string literal, raw when that is possible (regular
// expressions read better without doubled backslashes).
func goString(s string) string {
	if s != "" && !strings.ContainsAny(s, "`\r\n") && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// ---------------------------------------------------------------------------------------
// zz_generated_types.go

func (g *generator) types() ([]byte, error) {
	var b bytes.Buffer
	g.header(&b)
	for _, name := range g.m.shapeNames {
		s := g.m.shapes[name]
		if s.typ != "structure" || s.exception {
			continue
		}
		fmt.Fprintf(&b, "// %s is the %s structure of the model.\n", name, name)
		if uses := g.usedBy(name); uses != "" {
			fmt.Fprintf(&b, "// %s\n", uses)
		}
		fmt.Fprintf(&b, "type %s struct {\n", name)
		for i, mb := range s.members {
			ms := g.m.shapes[mb.shape]
			if i > 0 {
				b.WriteString("\n")
			}
			desc := "shape " + mb.shape
			if s.required[mb.name] {
				desc += ", required"
			}
			if c := constraintText(ms); c != "" {
				desc += "; " + c
			}
			switch ms.typ {
			case "list":
				if c := constraintText(g.m.shapes[ms.elem]); c != "" {
					desc += "; elements: " + c
				}
			case "map":
				if c := constraintText(g.m.shapes[ms.key]); c != "" {
					desc += "; keys: " + c
				}
				if c := constraintText(g.m.shapes[ms.value]); c != "" {
					desc += "; values: " + c
				}
			}
			fmt.Fprintf(&b, "\t// %s: %s.\n", mb.name, desc)
			omit := "omitempty"
			if ms.typ == "list" || ms.typ == "map" {
				omit = "omitzero"
			}
			fmt.Fprintf(&b, "\t%s %s `json:\"%s,%s\"`\n", mb.name, g.goType(mb.shape, false), mb.name, omit)
		}
		b.WriteString("}\n\n")
	}
	return gofmt(&b)
}

// usedBy says which operations take or return a structure directly.
func (g *generator) usedBy(name string) string {
	var in, out []string
	for _, op := range g.m.operations {
		if op.input == name {
			in = append(in, op.name)
		}
		if op.output == name {
			out = append(out, op.name)
		}
	}
	var parts []string
	if len(in) > 0 {
		parts = append(parts, "It is the input of "+strings.Join(in, ", "))
	}
	if len(out) > 0 {
		parts = append(parts, "the output of "+strings.Join(out, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, " and ") + "."
	if len(in) == 0 {
		s = "It is t" + s[1:]
	}
	return s
}

// ---------------------------------------------------------------------------------------
// zz_generated_operations.go

func (g *generator) operations() ([]byte, error) {
	var b bytes.Buffer
	g.header(&b)
	b.WriteString("const (\n")
	b.WriteString("\t// TargetPrefix prefixes the operation name in the X-Amz-Target header: TargetPrefix + \".\" + Name.\n")
	fmt.Fprintf(&b, "\tTargetPrefix = %q\n\n", g.m.targetPrefix)
	b.WriteString("\t// APIVersion is the version of the API model.\n")
	fmt.Fprintf(&b, "\tAPIVersion = %q\n", g.m.apiVersion)
	b.WriteString(")\n\n")
	b.WriteString("// Operations lists every operation of the model, in model order.\n")
	b.WriteString("var Operations = [...]Operation{\n")
	for _, op := range g.m.operations {
		fmt.Fprintf(&b, "\t{Name: %q, Public: %t, HasOutput: %t},\n", op.name, op.authtype == "none", op.output != "")
	}
	b.WriteString("}\n")
	return gofmt(&b)
}

// ---------------------------------------------------------------------------------------
// zz_generated_validate.go

// anchored gives the Go regular expression that matches a whole value against a model
// pattern (Java syntax).
func anchored(pattern string) string {
	return "^(?:" + javaToRE2(pattern) + ")$"
}

// javaToRE2 rewrites the few Java regular-expression constructs whose meaning differs in
// RE2: \s and \S, whose Java whitespace set also holds the vertical tab (\x0B). \S is
// rewritten outside classes and as the whole class [\S]; inside a larger class it keeps
// the RE2 meaning (no model uses that). Everything else used by AWS models (\w, \d,
// \p{L}, classes, groups) means the same in both; constructs RE2 does not know make
// regexp.Compile fail at generation time.
func javaToRE2(p string) string {
	var b strings.Builder
	inClass := false
	classStart := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			i++
			switch {
			case n == 's' && inClass:
				b.WriteString(`\s\x0B`)
			case n == 's':
				b.WriteString(`[\s\x0B]`)
			case n == 'S' && !inClass:
				b.WriteString(`[^\s\x0B]`)
			case n == 'S' && i == classStart+2 && i+1 < len(p) && p[i+1] == ']':
				// The class is exactly [\S]: rewrite it whole.
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-1]) // drop the '['
				b.WriteString(`[^\s\x0B]`)
				i++ // skip ']'
				inClass = false
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case c == '[' && !inClass:
			inClass = true
			classStart = i
			b.WriteByte(c)
		case c == ']' && inClass && i > classStart+1:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

type validateGen struct {
	*generator
	b         bytes.Buffer
	structs   []string        // structures reachable from inputs, sorted
	rules     map[string]bool // scalar shapes that need a rule variable
	sizes     map[string]bool // list and map shapes that need a size rule
	needSort  bool
	sensitive map[string]bool
}

func (g *generator) validate() ([]byte, error) {
	v := &validateGen{generator: g, rules: map[string]bool{}, sizes: map[string]bool{}, sensitive: map[string]bool{}}
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		s := g.m.shapes[name]
		switch s.typ {
		case "structure":
			v.structs = append(v.structs, name)
			for _, mb := range s.members {
				visit(mb.shape)
			}
		case "list":
			visit(s.elem)
		case "map":
			visit(s.key)
			visit(s.value)
		}
	}
	for _, op := range g.m.operations {
		if op.input != "" {
			visit(op.input)
		}
	}
	sort.Strings(v.structs)

	var body bytes.Buffer
	for _, name := range v.structs {
		if err := v.genStruct(&body, g.m.shapes[name]); err != nil {
			return nil, err
		}
	}

	g.header(&v.b)
	v.b.WriteString("import (\n")
	if v.needSort {
		v.b.WriteString("\t\"maps\"\n")
	}
	if v.needSort {
		v.b.WriteString("\t\"slices\"\n")
	}
	v.b.WriteString(")\n\n")
	v.genRules()
	v.b.Write(body.Bytes())
	return gofmt(&v.b)
}

// isSensitive reports whether rendering a value of the shape would show sensitive data:
// the shape is sensitive or (transitively) holds a sensitive shape.
func (v *validateGen) isSensitive(name string) bool {
	if r, ok := v.sensitive[name]; ok {
		return r
	}
	v.sensitive[name] = false // cycles
	s := v.m.shapes[name]
	r := s.sensitive
	switch s.typ {
	case "structure":
		for _, mb := range s.members {
			r = r || v.isSensitive(mb.shape)
		}
	case "list":
		r = r || v.isSensitive(s.elem)
	case "map":
		r = r || v.isSensitive(s.key) || v.isSensitive(s.value)
	}
	v.sensitive[name] = r
	return r
}

// hasRule reports whether a scalar shape declares constraints, and records that its rule
// variable must be generated.
func (v *validateGen) hasRule(name string) bool {
	s := v.m.shapes[name]
	switch s.typ {
	case "string":
		if s.min == nil && s.max == nil && s.pattern == "" && len(s.enum) == 0 {
			return false
		}
	case "integer", "long":
		if s.min == nil && s.max == nil {
			return false
		}
	default:
		return false
	}
	v.rules[name] = true
	return true
}

func (v *validateGen) hasSize(name string) bool {
	s := v.m.shapes[name]
	if s.min == nil && s.max == nil {
		return false
	}
	v.sizes[name] = true
	return true
}

func ruleVar(name string) string { return "rule" + name }
func sizeVar(name string) string { return "size" + name }

func (v *validateGen) genRules() {
	if len(v.rules)+len(v.sizes) == 0 {
		return
	}
	v.b.WriteString("// Constraints of the model's shapes. Regular expressions are anchored: a value must\n")
	v.b.WriteString("// match the model pattern as a whole, as Java's Matcher.matches does.\n")
	v.b.WriteString("var (\n")
	names := make([]string, 0, len(v.rules))
	for n := range v.rules {
		names = append(names, n)
	}
	sort.Strings(names)
	bound := func(p *int64) string {
		if p == nil {
			return "-1"
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, n := range names {
		s := v.m.shapes[n]
		switch s.typ {
		case "string":
			fmt.Fprintf(&v.b, "\t%s = strRule{min: %s, max: %s", ruleVar(n), bound(s.min), bound(s.max))
			if s.pattern != "" {
				fmt.Fprintf(&v.b, ", pattern: %s, re: compilePattern(%s)", goString(s.pattern), goString(anchored(s.pattern)))
			}
			if len(s.enum) > 0 {
				v.b.WriteString(", enum: []string{")
				for i, e := range s.enum {
					if i > 0 {
						v.b.WriteString(", ")
					}
					v.b.WriteString(goString(e))
				}
				v.b.WriteString("}")
			}
			if s.sensitive {
				v.b.WriteString(", sensitive: true")
			}
			v.b.WriteString("}\n")
		default:
			fmt.Fprintf(&v.b, "\t%s = numRule{", ruleVar(n))
			var parts []string
			if s.min != nil {
				parts = append(parts, fmt.Sprintf("min: %d, hasMin: true", *s.min))
			}
			if s.max != nil {
				parts = append(parts, fmt.Sprintf("max: %d, hasMax: true", *s.max))
			}
			v.b.WriteString(strings.Join(parts, ", "))
			v.b.WriteString("}\n")
		}
	}
	names = names[:0]
	for n := range v.sizes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := v.m.shapes[n]
		fmt.Fprintf(&v.b, "\t%s = sizeRule{min: %s, max: %s}\n", sizeVar(n), bound(s.min), bound(s.max))
	}
	v.b.WriteString(")\n\n")
}

func (v *validateGen) genStruct(b *bytes.Buffer, s *shape) error {
	fmt.Fprintf(b, "// Validate checks v against the model's constraints on %s,\n", s.name)
	b.WriteString("// including the structures it holds. It returns nil or a *ValidationError listing\n")
	b.WriteString("// every violation. A nil v is checked as an empty structure. It does not allocate\n")
	b.WriteString("// when v is valid.\n")
	fmt.Fprintf(b, "func (v *%s) Validate() error {\n", s.name)
	fmt.Fprintf(b, "\tif v == nil {\n\t\tv = &%s{}\n\t}\n", s.name)
	b.WriteString("\tvar c checker\n\tv.validate(&c, \"\")\n\tif !c.bad {\n\t\treturn nil\n\t}\n")
	b.WriteString("\tc = checker{collect: true}\n\tv.validate(&c, \"\")\n\treturn c.err()\n}\n\n")

	fmt.Fprintf(b, "func (v *%s) validate(c *checker, p string) {\n", s.name)
	if len(s.members) == 0 {
		b.WriteString("\t_, _ = c, p\n")
	}
	for _, mb := range s.members {
		if err := v.genMember(b, s, mb); err != nil {
			return err
		}
	}
	b.WriteString("}\n\n")
	return nil
}

func (v *validateGen) genMember(b *bytes.Buffer, parent *shape, mb member) error {
	ms := v.m.shapes[mb.shape]
	field := "v." + mb.name
	path := strconv.Quote(lowerFirst(mb.name))
	req := parent.required[mb.name]
	sens := v.isSensitive(mb.shape)
	null := func() {
		if req {
			fmt.Fprintf(b, "\t} else {\n\t\tc.null(p, %s)\n", path)
		}
	}
	// wrap writes the checks of a list or map member, in body, under a nil test; nothing
	// when there is nothing to check.
	wrap := func(out, body *bytes.Buffer) {
		switch {
		case body.Len() > 0:
			fmt.Fprintf(out, "\tif %s != nil {\n", field)
			out.Write(body.Bytes())
			if req {
				fmt.Fprintf(out, "\t} else {\n\t\tc.null(p, %s)\n", path)
			}
			out.WriteString("\t}\n")
		case req:
			fmt.Fprintf(out, "\tif %s == nil {\n\t\tc.null(p, %s)\n\t}\n", field, path)
		}
	}
	switch ms.typ {
	case "string":
		// A required string cannot be told from "" once decoded: "" counts as present
		// and is checked, while an optional "" is taken as absent.
		if !v.hasRule(mb.shape) {
			return nil
		}
		cond := fmt.Sprintf("!%s.ok(%s)", ruleVar(mb.shape), field)
		if !req {
			cond = fmt.Sprintf("%s != \"\" && %s", field, cond)
		}
		fmt.Fprintf(b, "\tif %s {\n\t\tc.badString(%s, p, %s, &%s)\n\t}\n", cond, field, path, ruleVar(mb.shape))
	case "integer", "long":
		if v.hasRule(mb.shape) {
			fmt.Fprintf(b, "\tif %s != nil {\n", field)
			fmt.Fprintf(b, "\t\tif n := int64(*%s); !%s.ok(n) {\n\t\t\tc.badNumber(n, p, %s, &%s)\n\t\t}\n", field, ruleVar(mb.shape), path, ruleVar(mb.shape))
			null()
			b.WriteString("\t}\n")
		} else if req {
			fmt.Fprintf(b, "\tif %s == nil {\n\t\tc.null(p, %s)\n\t}\n", field, path)
		}
	case "boolean", "timestamp", "float", "double":
		if req {
			fmt.Fprintf(b, "\tif %s == nil {\n\t\tc.null(p, %s)\n\t}\n", field, path)
		}
	case "blob":
		if req {
			fmt.Fprintf(b, "\tif %s == nil {\n\t\tc.null(p, %s)\n\t}\n", field, path)
		}
		if ms.min != nil || ms.max != nil {
			return fmt.Errorf("%s.%s: length constraints on blobs are not supported", parent.name, mb.name)
		}
	case "structure":
		fmt.Fprintf(b, "\tif %s != nil {\n", field)
		fmt.Fprintf(b, "\t\t%s.validate(c, c.join(p, %s))\n", field, path)
		null()
		b.WriteString("\t}\n")
	case "list":
		es := v.m.shapes[ms.elem]
		outer := b
		b = new(bytes.Buffer)
		if v.hasSize(mb.shape) {
			fmt.Fprintf(b, "\t\tif !%s.ok(len(%s)) {\n\t\t\tc.badSize(%s, len(%s), p, %s, &%s, %t)\n\t\t}\n",
				sizeVar(mb.shape), field, field, field, path, sizeVar(mb.shape), sens)
		}
		switch es.typ {
		case "structure":
			fmt.Fprintf(b, "\t\tfor i := range %s {\n\t\t\t%s[i].validate(c, c.index(p, %s, i))\n\t\t}\n", field, field, path)
		case "string":
			if v.hasRule(ms.elem) {
				fmt.Fprintf(b, "\t\tif !allOK(%s, &%s) {\n\t\t\tc.badElements(%s, p, %s, &%s, %t)\n\t\t}\n",
					field, ruleVar(ms.elem), field, path, ruleVar(ms.elem), sens)
			}
		default:
			if v.hasRule(ms.elem) || es.typ == "list" || es.typ == "map" {
				return fmt.Errorf("%s.%s: validation of lists of %s is not supported", parent.name, mb.name, es.typ)
			}
		}
		wrap(outer, b)
	case "map":
		vs := v.m.shapes[ms.value]
		outer := b
		b = new(bytes.Buffer)
		if v.hasSize(mb.shape) {
			fmt.Fprintf(b, "\t\tif !%s.ok(len(%s)) {\n\t\t\tc.badSize(%s, len(%s), p, %s, &%s, %t)\n\t\t}\n",
				sizeVar(mb.shape), field, field, field, path, sizeVar(mb.shape), sens)
		}
		if v.hasRule(ms.key) {
			fmt.Fprintf(b, "\t\tif !keysOK(%s, &%s) {\n\t\t\tc.badKeys(%s, p, %s, &%s, %t)\n\t\t}\n",
				field, ruleVar(ms.key), field, path, ruleVar(ms.key), sens)
		}
		switch vs.typ {
		case "structure":
			v.needSort = true
			fmt.Fprintf(b, "\t\tif c.collect {\n")
			fmt.Fprintf(b, "\t\t\tfor _, k := range slices.Sorted(maps.Keys(%s)) {\n", field)
			fmt.Fprintf(b, "\t\t\t\te := %s[k]\n\t\t\t\te.validate(c, c.key(p, %s, k))\n\t\t\t}\n", field, path)
			fmt.Fprintf(b, "\t\t} else {\n\t\t\tfor _, e := range %s {\n\t\t\t\te.validate(c, \"\")\n\t\t\t}\n\t\t}\n", field)
		case "string":
			if v.hasRule(ms.value) {
				fmt.Fprintf(b, "\t\tif !valuesOK(%s, &%s) {\n\t\t\tc.badValues(%s, p, %s, &%s, %t)\n\t\t}\n",
					field, ruleVar(ms.value), field, path, ruleVar(ms.value), sens)
			}
		default:
			if v.hasRule(ms.value) || vs.typ == "list" || vs.typ == "map" {
				return fmt.Errorf("%s.%s: validation of maps of %s is not supported", parent.name, mb.name, vs.typ)
			}
		}
		wrap(outer, b)
	default:
		return fmt.Errorf("%s.%s: unsupported member type %s", parent.name, mb.name, ms.typ)
	}
	return nil
}
