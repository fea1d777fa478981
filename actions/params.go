package actions

import "errors"
import "fmt"
import "math"
import "reflect"
import "regexp"
import "sort"
import "strconv"
import "strings"
import "time"

// Param types, shared with playbook inputs.
const (
	TypeString   = "string"
	TypeInt      = "int"
	TypeBool     = "bool"
	TypeDuration = "duration"
	TypeTime     = "time"
	TypeList     = "list" // list of strings
	TypeInts     = "ints" // list of integers
	TypeMap      = "map"  // string to string
)

// Param describes one parameter of an action, from its struct tags:
//
//	URL string `param:"url,required" desc:"what it is"`
//	Timeout time.Duration `param:"timeout" default:"10s" desc:"…"`
//
// An embedded struct without a param tag contributes its own tagged fields,
// in its place: parameters several actions share are declared once. A
// parameter without a default tag whose field the action's New sets takes
// that value as its default (how actions.Poll's intervals differ by
// provider).
type Param struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Default     string `json:"default,omitempty"`
	Description string `json:"description"`
	// Secret parameters are registered with the redactor when decoded. A
	// playbook's secret input may reach only a secret parameter, whole.
	Secret bool `json:"secret,omitempty"`
	// Credential marks the parameter that names a credential declared under
	// the playbook's `credentials:` (a literal name, resolved at load).
	Credential bool `json:"credential,omitempty"`
	// Target marks the URL a credential is sent to; the loader checks its
	// host against the credential's where the host is written out.
	Target bool  `json:"target,omitempty"`
	field  []int // index path in the action struct (reflect.Value.FieldByIndex)
}

// Retirer is implemented by an action with parameters it no longer takes:
// naming one is an error that says what replaced it, rather than a bare
// "unknown parameter".
type Retirer interface {
	Retired() map[string]string
}

// UnknownParam is the error for a parameter the action does not take.
func UnknownParam(info Info, name string) *ParamError {
	if r, ok := info.New().(Retirer); ok {
		if msg, ok := r.Retired()[name]; ok {
			return &ParamError{Param: name, Msg: msg}
		}
	}
	return &ParamError{Param: name, Msg: "unknown parameter of " + info.Name + suggest(name, paramNames(info.Params()))}
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

func typeName(t reflect.Type) (string, bool) {
	switch {
	case t == durationType:
		return TypeDuration, true
	case t == timeType:
		return TypeTime, true
	}
	switch t.Kind() {
	case reflect.String:
		return TypeString, true
	case reflect.Int, reflect.Int64:
		return TypeInt, true
	case reflect.Bool:
		return TypeBool, true
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String:
			return TypeList, true
		case reflect.Int:
			return TypeInts, true
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String {
			return TypeMap, true
		}
	}
	return "", false
}

func paramsOf(a Action) []Param { return paramsIn(a, structOf(a).Type(), nil) }

// paramsIn reads the parameters of struct type t, whose fields are at index
// path at. An embedded struct without a param tag of its own contributes
// its parameters in its place, so parameters several actions share (which
// account an assessment reads) are declared once.
func paramsIn(a Action, t reflect.Type, at []int) []Param {
	var out []Param
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		index := append(at[:len(at):len(at)], i) // a copy: at is shared by the siblings
		tag, ok := f.Tag.Lookup("param")
		if !ok {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				out = append(out, paramsIn(a, f.Type, index)...)
			}
			continue
		}
		parts := strings.Split(tag, ",")
		p := Param{Name: parts[0], Description: f.Tag.Get("desc"), Default: f.Tag.Get("default"), field: index}
		for _, opt := range parts[1:] {
			switch opt {
			case "required":
				p.Required = true
			case "secret":
				p.Secret = true
			case "credential":
				p.Credential = true
			case "target":
				p.Target = true
			default:
				panic(fmt.Sprintf("actions: %T.%s: unknown tag option %q", a, f.Name, opt))
			}
		}
		typ, ok := typeName(f.Type)
		if !ok {
			panic(fmt.Sprintf("actions: %T.%s: unsupported parameter type %s", a, f.Name, f.Type))
		}
		p.Type = typ
		if p.Default == "" {
			// No default in the tag: the value New sets is the default. A
			// parameter struct shared by several actions (Poll) takes each
			// action's own defaults this way.
			p.Default = valueDefault(structOf(a).FieldByIndex(index))
		}
		if p.Default != "" {
			if _, err := Convert(typ, p.Default); err != nil {
				panic(fmt.Sprintf("actions: %T.%s: bad default: %v", a, f.Name, err))
			}
		}
		out = append(out, p)
	}
	return out
}

// valueDefault is how a parameter's non-zero value in a new action is
// written as its default ("" for a zero value, or a type without one).
func valueDefault(v reflect.Value) string {
	if v.IsZero() {
		return ""
	}
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.String:
		return v.String()
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case v.Kind() == reflect.Bool:
		return "true"
	}
	return ""
}

// ParamError is a problem with one parameter; Param is empty when the problem
// concerns the parameter set as a whole. The playbook loader maps it to the
// parameter's line and column.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return fmt.Sprintf("parameter %q: %s", e.Param, e.Msg)
}

// Decode builds the action of info from parameter values, strictly: an unknown
// parameter, a missing required one, or a value of the wrong type is an error,
// and all such errors are returned together (as []*ParamError via errors.Join).
// Values may be Go values (from YAML or templates) or strings to convert.
// Validate runs last, only when everything else decoded.
func Decode(info Info, values map[string]any) (Action, error) {
	a := info.New()
	v := structOf(a)
	params := paramsOf(a)
	byName := map[string]Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	var errs []error
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := byName[k]; !ok {
			errs = append(errs, UnknownParam(info, k))
		}
	}
	for _, p := range params {
		raw, ok := values[p.Name]
		if !ok || raw == nil {
			if p.Required {
				errs = append(errs, &ParamError{Param: p.Name, Msg: "required parameter of " + info.Name + " is missing"})
				continue
			}
			if p.Default == "" {
				continue
			}
			raw = p.Default
		}
		val, err := Convert(p.Type, raw)
		if err != nil {
			errs = append(errs, &ParamError{Param: p.Name, Msg: err.Error()})
			continue
		}
		v.FieldByIndex(p.field).Set(reflect.ValueOf(val).Convert(v.FieldByIndex(p.field).Type()))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if val, ok := a.(Validator); ok {
		if err := val.Validate(); err != nil {
			var pe *ParamError
			if errors.As(err, &pe) {
				return nil, err
			}
			return nil, &ParamError{Msg: err.Error()}
		}
	}
	return a, nil
}

// SecretValues returns the values of an action's secret parameters, so the
// caller can register them with the redactor.
func SecretValues(a Action) []string {
	v := structOf(a)
	var out []string
	for _, p := range paramsOf(a) {
		if p.Secret {
			switch s := v.FieldByIndex(p.field).Interface().(type) {
			case string:
				if s != "" {
					out = append(out, s)
				}
			case []string: // several secrets (github.revoke_token's keys)
				for _, x := range s {
					if x != "" {
						out = append(out, x)
					}
				}
			}
		}
	}
	return out
}

func paramNames(ps []Param) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// Convert turns a value into the Go value of a parameter or input type:
// string, int, bool, time.Duration, time.Time, []string, []int or
// map[string]string. Strings are parsed; other values must already have a
// fitting type. The error names the expected type and what was given.
func Convert(typ string, raw any) (any, error) {
	switch typ {
	case TypeString:
		switch x := raw.(type) {
		case string:
			return x, nil
		case int, int64, float64, bool:
			// YAML reads `name: 42` as an int; a string parameter takes it as text.
			return fmt.Sprint(x), nil
		}
	case TypeInt:
		switch x := raw.(type) {
		case int:
			return x, nil
		case int64:
			return int(x), nil
		case float64:
			if x == float64(int(x)) {
				return int(x), nil
			}
		case string:
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("want an integer, got %q", x)
			}
			return n, nil
		}
	case TypeBool:
		switch x := raw.(type) {
		case bool:
			return x, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("want true or false, got %q", x)
			}
			return b, nil
		}
	case TypeDuration:
		switch x := raw.(type) {
		case time.Duration:
			return x, nil
		case string:
			d, err := ParseDuration(x)
			if err != nil {
				return nil, err
			}
			return d, nil
		}
	case TypeTime:
		switch x := raw.(type) {
		case time.Time:
			return x, nil
		case string:
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("want an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", x)
			}
			return t, nil
		}
	case TypeList:
		switch x := raw.(type) {
		case []string:
			return x, nil
		case []any:
			out := make([]string, 0, len(x))
			for i, e := range x {
				s, err := Convert(TypeString, e)
				if err != nil {
					return nil, fmt.Errorf("item %d: %v", i+1, err)
				}
				out = append(out, s.(string))
			}
			return out, nil
		case string:
			// A comma-separated string (from --input or a template) is a list.
			if strings.TrimSpace(x) == "" {
				return []string{}, nil
			}
			parts := strings.Split(x, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts, nil
		}
	case TypeInts:
		var items []any
		switch x := raw.(type) {
		case []int:
			return x, nil
		case []any:
			items = x
		case string:
			for _, p := range strings.Split(x, ",") {
				items = append(items, strings.TrimSpace(p))
			}
		case int:
			return []int{x}, nil
		default:
			return nil, fmt.Errorf("want a list of integers, got %s", describe(raw))
		}
		out := make([]int, 0, len(items))
		for i, e := range items {
			n, err := Convert(TypeInt, e)
			if err != nil {
				return nil, fmt.Errorf("item %d: %v", i+1, err)
			}
			out = append(out, n.(int))
		}
		return out, nil
	case TypeMap:
		switch x := raw.(type) {
		case map[string]string:
			return x, nil
		case map[string]any:
			out := make(map[string]string, len(x))
			for k, e := range x {
				s, err := Convert(TypeString, e)
				if err != nil {
					return nil, fmt.Errorf("key %q: %v", k, err)
				}
				out[k] = s.(string)
			}
			return out, nil
		}
	default:
		return nil, fmt.Errorf("unknown type %q", typ)
	}
	return nil, fmt.Errorf("want %s, got %s", article(typ), describe(raw))
}

// dayRE accepts the "7d" form responders type for exposure windows.
var dayRE = regexp.MustCompile(`^(\d+)d$`)

// ParseDuration is time.ParseDuration plus whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if m := dayRE.FindStringSubmatch(s); m != nil {
		// A count past what a Duration holds (about 106751 days) would wrap
		// around to any value, a few minutes included.
		n, err := strconv.Atoi(m[1])
		if err != nil || n > int(math.MaxInt64/int64(24*time.Hour)) {
			return 0, fmt.Errorf("%q is too long a duration (at most %d days)", s, math.MaxInt64/int64(24*time.Hour))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 30s, 5m or 7d, got %q", s)
	}
	return d, nil
}

func article(typ string) string {
	switch typ {
	case TypeInt:
		return "an integer"
	case TypeBool:
		return "true or false"
	case TypeDuration:
		return "a duration"
	case TypeTime:
		return "an RFC 3339 time"
	case TypeList:
		return "a list of strings"
	case TypeMap:
		return "a mapping of strings"
	}
	return "a " + typ
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case bool:
		return fmt.Sprintf("%t", x)
	case int, int64, float64:
		return fmt.Sprintf("the number %v", x)
	}
	return fmt.Sprintf("%T", v)
}

// suggest returns ` (did you mean "x"?)` for a near-miss, or "".
func suggest(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := levenshtein(got, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// Suggest is suggest for other packages (unknown actions, fields).
func Suggest(got string, known []string) string { return suggest(got, known) }

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
