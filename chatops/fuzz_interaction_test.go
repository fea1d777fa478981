package chatops

import "encoding/json"
import "fmt"
import "net/http"
import "net/url"
import "strings"
import "testing"
import "time"

func interactionRequest(body, query string) *http.Request {
	r, _ := http.NewRequest("POST", "http://keyir.test/slack/interactions", strings.NewReader(body))
	r.URL.RawQuery = query // as the server sees it: any bytes
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// FuzzParseInteraction: whatever a (verified) interaction body holds, the
// parser never panics, the query string (not covered by the signature)
// never changes what it decides, and a click is taken only from a payload
// with exactly one block action.
func FuzzParseInteraction(f *testing.F) {
	click := func(actions string) string {
		return `{"type":"block_actions","team":{"id":"T0SIMTEAM"},"api_app_id":"A0KEYIR","user":{"id":"U0BOB"},` +
			`"channel":{"id":"C0INCIDENT"},"container":{"type":"message","message_ts":"1.2","channel_id":"C0INCIDENT"},` +
			`"response_url":"http://x/r","trigger_id":"1.2.3","actions":[` + actions + `]}`
	}
	one := `{"action_id":"keyir_approve","block_id":"keyir_approval","value":"req_000000000000000000000000","type":"button","action_ts":"1"}`
	for _, s := range []string{
		click(one), click(one + "," + one), click(""),
		// slack-go sorts a mixed list into two slices and appends across a
		// repeated key: one block action, but two actions in the payload.
		click(`{"name":"a","type":"button","value":"0"},` + one),
		click(one)[:len(click(one))-1] + `,"actions":[]}`, `{"type":"view_submission","view":{"blocks":[{"type":"section"}]}}`,
		`{"type":"block_actions","actions":[{"type":"static_select","selected_option":{"value":"x"}}]}`,
		`{"type":"block_actions","message":{"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section"}]}]}}`,
		`{"type":"interactive_message","actions":[{"name":"a","type":"button"}],"original_message":{"attachments":[{}]}}`,
		`{"type":"block_actions","state":{"values":{"b":{"a":{"type":"datepicker"}}}}}`,
		strings.Repeat("[", 500), `{"actions":null}`, "", "\xff", `{"type":1}`,
	} {
		f.Add(s, "", false)
		f.Add(s, `payload=`+url.QueryEscape(click(one)), false)
	}
	f.Add("payload=%7B%7D&payload=x", "payload=%7B%7D", true)
	f.Add("payload=%zz", "", true)
	f.Add("{}", "%", false) // a malformed query once failed the whole request
	f.Fuzz(func(t *testing.T, payload, query string, raw bool) {
		body := payload
		if !raw {
			body = url.Values{"payload": {payload}}.Encode()
		}
		if len(body) > MaxInteractionBody {
			return // the handler refuses it unread (413)
		}
		stall := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("parsing %d bytes took over 5s: %.300q", len(body), body)) })
		defer stall.Stop()
		a, err := parseInteraction(interactionRequest(body, ""))
		b, errq := parseInteraction(interactionRequest(body, query))
		if (err == nil) != (errq == nil) || a != b {
			t.Fatalf("the query string changed the result: %+v (%v) vs %+v (%v)", a, err, b, errq)
		}
		if err != nil {
			if a != (Action{}) {
				t.Fatalf("an error with an action: %+v", a)
			}
			return
		}
		if a.Transport != "http" {
			t.Fatalf("transport %q", a.Transport)
		}
		if a.ActionID == "" && a.Value == "" {
			return
		}
		// A click came out: the payload must hold exactly one action.
		form, _ := url.ParseQuery(body)
		var p struct {
			Actions []json.RawMessage `json:"actions"`
		}
		if json.Unmarshal([]byte(form.Get("payload")), &p) == nil && len(p.Actions) != 1 {
			t.Fatalf("a click taken from %d actions: %+v", len(p.Actions), a)
		}
	})
}
