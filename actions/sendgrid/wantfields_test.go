package sendgrid

import "encoding/json"
import "testing"

type listing struct {
	Result []struct {
		ID string `json:"id"`
	} `json:"result"`
}

func TestWantFields(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"result":[]}`: true, `{"result":[{"id":"a"}]}`: true, `{"RESULT":[]}`: true,
		`{}`: false, `{"unexpected":1}`: false, `{"result":null}`: false, `null`: false,
	} {
		var out listing
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if err := wantFields([]byte(body), &out); (err == nil) != ok {
			t.Errorf("%s: err %v, want ok %v", body, err, ok)
		}
	}
	var rows []int // a top-level array is not checked
	if err := wantFields([]byte(`[]`), &rows); err != nil {
		t.Error(err)
	}
	// ... but a null where the array belongs (GET /v3/alerts) is no answer:
	// decoded, it was "no alert" of an account never seen.
	if err := wantFields([]byte(" null\n"), &rows); err == nil {
		t.Error("a null for a top-level array is taken for an empty listing")
	}
}

// FuzzWantFields: whatever the answer, no panic, and an answer that decoded
// to something is never refused.
func FuzzWantFields(f *testing.F) {
	for _, s := range []string{`{"result":[]}`, `{}`, `null`, `{"result":null}`, `[1]`, `{"result":[{"id":"x"}],"x":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out listing
		if json.Unmarshal(b, &out) != nil {
			return
		}
		err := wantFields(b, &out)
		if err != nil && len(out.Result) > 0 {
			t.Fatalf("%q decoded %d rows, yet refused: %v", b, len(out.Result), err)
		}
	})
}
