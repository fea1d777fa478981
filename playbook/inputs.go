package playbook

import "errors"
import "fmt"
import "regexp"
import "sort"
import "time"
import "unicode/utf8"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"

// MaxInputSize bounds one input value (64 KiB): a key, a URL or a note is
// far smaller; a bigger value is a mistake or an attack.
const MaxInputSize = 64 << 10

// ResolveInputs turns the responder's --input values into typed values for
// templates. Every declared input gets a value (given, default, or the zero
// value of its type), so a template can test an optional input with
// `ne .inputs.key_id ""` under missingkey=error. All problems are returned at
// once, each naming its input. An empty given value counts as not given, so
// `--input key_id=` means "use the default".
//
// A secret input's value (the leaked key) never appears in an error: the
// error may be printed, logged or posted to Slack before the redactor knows
// the value.
func (pb *Playbook) ResolveInputs(given map[string]string) (map[string]any, error) {
	var errs []error
	values := make(map[string]any, len(pb.Inputs))
	names := make([]string, 0, len(pb.Inputs))
	declared := map[string]bool{}
	for _, in := range pb.Inputs {
		names = append(names, in.Name)
		declared[in.Name] = true
		raw, ok := given[in.Name]
		if raw == "" {
			ok = false
		}
		if !ok {
			if in.Required {
				msg := "input " + in.Name + " is required"
				if in.Description != "" {
					msg += " (" + in.Description + ")"
				}
				errs = append(errs, errors.New(msg))
				continue
			}
			if in.Default == "" {
				values[in.Name] = zero(in.Type)
				continue
			}
			raw = in.Default
		}
		// Bounded and well-formed before anything else looks at it: a value
		// ends up in templates, URLs, the journal and Slack. The message
		// gives the length only (the value may be a secret).
		if len(raw) > MaxInputSize {
			errs = append(errs, fmt.Errorf("input %s: the value is %d bytes; the limit is %d", in.Name, len(raw), MaxInputSize))
			continue
		}
		if !utf8.ValidString(raw) {
			errs = append(errs, fmt.Errorf("input %s: the value is not valid UTF-8", in.Name))
			continue
		}
		var re *regexp.Regexp
		if in.Pattern != "" {
			var err error
			if re, err = compilePattern(in.Pattern); err != nil {
				errs = append(errs, fmt.Errorf("input %s: bad pattern: %v", in.Name, err))
				continue
			}
		}
		v, err := checkValue(in, re, raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("input %s: %v", in.Name, err))
			continue
		}
		values[in.Name] = v
	}
	var unknown []string
	for name := range given {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		if redact.LooksLikeKey(name) {
			errs = append(errs, errors.New("unknown input (its name has the shape of an API key and is not shown)"))
			continue
		}
		errs = append(errs, fmt.Errorf("unknown input %s%s", quoteShort(name), suggest(name, names)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return values, nil
}

// SecretInputs names the secret inputs, in declaration order, so the runner
// can register their values with the redactor and record only fingerprints.
func (pb *Playbook) SecretInputs() []string {
	var out []string
	for _, in := range pb.Inputs {
		if in.Secret {
			out = append(out, in.Name)
		}
	}
	return out
}

// checkValue converts raw to the input's type and applies its pattern (to a
// string, or to each item of a list). For a secret input the message says
// what was wrong without echoing the value.
func checkValue(in Input, re *regexp.Regexp, raw string) (any, error) {
	v, err := actions.Convert(in.Type, raw)
	if err != nil {
		if in.Secret {
			return nil, fmt.Errorf("want %s (the value of a secret input is not shown)", typeWord(in.Type))
		}
		if redact.LooksLikeKey(raw) {
			return nil, fmt.Errorf("want %s (%s)", typeWord(in.Type), keyShaped)
		}
		return nil, err
	}
	if re == nil {
		return v, nil
	}
	switch x := v.(type) {
	case string:
		if !re.MatchString(x) {
			if in.Secret {
				return nil, fmt.Errorf("does not match the pattern %s (the value of a secret input is not shown)", in.Pattern)
			}
			return nil, fmt.Errorf("%s does not match the pattern %s", shown(x), in.Pattern)
		}
	case []string:
		for i, item := range x {
			if !re.MatchString(item) {
				if in.Secret {
					return nil, fmt.Errorf("item %d does not match the pattern %s (the value of a secret input is not shown)", i+1, in.Pattern)
				}
				return nil, fmt.Errorf("item %d, %s, does not match the pattern %s", i+1, shown(item), in.Pattern)
			}
		}
	}
	return v, nil
}

// keyShaped stands in an error for a value that has the shape of a key: an
// error may be printed, logged or posted before the value is known secret.
const keyShaped = "the value has the shape of an API key and is not shown"

// shown is how an error names a value of an input that is not secret:
// quoted and cut short, unless it has the shape of a key.
func shown(v string) string {
	if redact.LooksLikeKey(v) {
		return "the value (" + keyShaped + ")"
	}
	return quoteShort(v)
}

func zero(typ string) any {
	switch typ {
	case actions.TypeInt:
		return 0
	case actions.TypeBool:
		return false
	case actions.TypeDuration:
		return time.Duration(0)
	case actions.TypeTime:
		return time.Time{}
	case actions.TypeList:
		return []string{}
	}
	return ""
}

func typeWord(typ string) string {
	switch typ {
	case actions.TypeInt:
		return "an integer"
	case actions.TypeBool:
		return "true or false"
	case actions.TypeDuration:
		return "a duration such as 30s, 5m or 7d"
	case actions.TypeTime:
		return "an RFC 3339 time"
	case actions.TypeList:
		return "a comma-separated list"
	}
	return "a " + typ
}
