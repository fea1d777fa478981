package sendgrid

import "bytes"
import "encoding/json"
import "errors"
import "reflect"
import "sort"
import "strings"

// wantFields refuses a 2xx read whose JSON object holds none of the fields
// out reads (`{}`, `{"unexpected":1}`, `{"result":null}`) or is null: decoded
// as it is, such an answer is an empty listing, and the persistence step
// said "no webhooks, no invites" of an account it never saw, and activity
// "no message sent with this key". Only a struct out that decoded to its
// zero value is checked, and a null where a top-level array belongs.
func wantFields(body []byte, out any) error {
	t := reflect.TypeOf(out)
	if t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Slice && bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		// A top-level array decodes or fails on its own, but null decodes
		// to an empty one.
		return errors.New("the answer is null")
	}
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	if !reflect.ValueOf(out).Elem().IsZero() {
		return nil // something was read (and a 180 KB page is not scanned twice)
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return errors.New("the answer is null")
	}
	var got map[string]json.RawMessage
	if json.Unmarshal(body, &got) != nil {
		return nil // not an object: Unmarshal into the struct has said so
	}
	present := map[string]bool{}
	for k, v := range got {
		if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			present[strings.ToLower(k)] = true
		}
	}
	// The field names as encoding/json sees them: those of the zero value,
	// encoded (none of the outs decoded here says omitempty).
	zero, err := json.Marshal(reflect.New(t.Elem()).Interface())
	if err != nil {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(zero, &fields) != nil {
		return nil
	}
	var want []string
	for name := range fields {
		if present[strings.ToLower(name)] {
			return nil
		}
		want = append(want, name)
	}
	sort.Strings(want)
	if len(want) == 0 {
		return nil
	}
	return errors.New("the answer has none of the fields read (" + strings.Join(want, ", ") + ")")
}
