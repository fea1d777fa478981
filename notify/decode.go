package notify

import "encoding/json"
import "fmt"
import "reflect"
import "sort"
import "strings"
import "time"

var durationType = reflect.TypeOf(time.Duration(0))

// Decode sets the fields of the struct dst points to from m, keyed by the
// fields' json names. It is strict, like caddy's module decoding: an unknown
// key is an error naming the known ones, so a typo in a playbook or config
// file ("chanel:") fails before anything runs instead of being ignored.
// time.Duration fields take Go duration strings ("10s").
func Decode(m map[string]any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("notify.Decode: %T is not a pointer to a struct", dst)
	}
	rv = rv.Elem()
	fields := map[string]int{}
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = i
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i, ok := fields[k]
		if !ok {
			known := make([]string, 0, len(fields))
			for n := range fields {
				known = append(known, n)
			}
			sort.Strings(known)
			return fmt.Errorf("unknown field %q (known: %s)", k, strings.Join(known, ", "))
		}
		fv := rv.Field(i)
		v := m[k]
		if fv.Type() == durationType {
			d, err := toDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			fv.SetInt(int64(d))
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(fv.Addr().Interface()); err != nil {
			return fmt.Errorf("%s: want %s: %w", k, fv.Type(), err)
		}
	}
	return nil
}

func toDuration(v any) (time.Duration, error) {
	switch v := v.(type) {
	case time.Duration:
		return v, nil
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (like 10s or 1m30s)", v)
		}
		return d, nil
	}
	return 0, fmt.Errorf("%v is not a duration: write it with a unit, like 10s", v)
}
