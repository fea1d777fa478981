package playbook

import "reflect"
import "strings"
import "testing"
import "time"

const inputsPlaybook = `name: inputs
inputs:
  key:      {type: string, secret: true, required: true, description: "the leaked SendGrid key", pattern: 'SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}'}
  key_id:   {type: string, pattern: '[A-Za-z0-9_-]{22}'}
  window:   {type: duration, default: 7d}
  since:    {type: time}
  subusers: {type: list, default: "", pattern: '[a-z]+'}
  max:      {type: int, default: "5"}
  notify:   {type: bool, default: "true"}
  incident: {type: string, required: true}
steps:
  - id: a
    action: core.note
    with: {text: hi}
`

const leaked = "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func TestResolveInputs(t *testing.T) {
	pb, err := Load("inputs.yaml", []byte(inputsPlaybook))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pb.ResolveInputs(map[string]string{
		"key": leaked, "since": "2026-01-02T15:04:05Z", "subusers": "alpha, beta", "incident": "INC-1", "key_id": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"key": leaked, "key_id": "", "window": 7 * 24 * time.Hour,
		"since": time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), "subusers": []string{"alpha", "beta"},
		"max": 5, "notify": true, "incident": "INC-1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResolveInputs =\n%#v\nwant\n%#v", got, want)
	}
	if s := pb.SecretInputs(); !reflect.DeepEqual(s, []string{"key"}) {
		t.Errorf("SecretInputs = %v", s)
	}
}

func TestResolveInputsErrors(t *testing.T) {
	pb, err := Load("inputs.yaml", []byte(inputsPlaybook))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.ResolveInputs(map[string]string{
		"key_id": "short", "window": "a week", "subusers": "ok,NOT", "max": "many", "notify": "perhaps",
		"incidnet": "INC-1", "zzz": "1",
	})
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"input key is required (the leaked SendGrid key)",
		`input key_id: "short" does not match the pattern [A-Za-z0-9_-]{22}`,
		`input window: want a duration such as 30s, 5m or 7d, got "a week"`,
		`input subusers: item 2, "NOT", does not match the pattern [a-z]+`,
		`input max: want an integer, got "many"`,
		`input notify: want true or false, got "perhaps"`,
		"input incident is required",
		`unknown input "incidnet" (did you mean "incident"?)`,
		`unknown input "zzz"`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// TestResolveInputsSecretNotInErrors: a leaked key given in the wrong shape
// (a typo, a truncated paste) is still a live secret; the error must not
// echo it, not even in part.
func TestResolveInputsSecretNotInErrors(t *testing.T) {
	_, err := Load("inputs.yaml", []byte(inputsPlaybook+`  - id: b
    action: core.note
    with: {text: "{{ .inputs.tokens }}"}
`))
	if err == nil {
		t.Fatal("want an unknown input problem")
	}
	pb, err := Load("inputs.yaml", []byte(strings.Replace(inputsPlaybook, "inputs:\n", "inputs:\n  tokens: {type: list, secret: true, pattern: 'tok_[a-z]+'}\n  pin: {type: int, secret: true}\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"key":    leaked[:len(leaked)-1] + "!", // wrong shape
		"tokens": "tok_good, Tok_BadSecret123",
		"pin":    "12x34secretpin",
	}
	_, err = pb.ResolveInputs(map[string]string{"key": secrets["key"], "tokens": secrets["tokens"], "pin": secrets["pin"], "incident": "INC-1"})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for name, v := range secrets {
		for _, part := range append(strings.Split(v, ", "), v) {
			if len(part) >= 6 && strings.Contains(msg, part) {
				t.Errorf("error reveals secret input %s: %s", name, msg)
			}
		}
		if !strings.Contains(msg, "input "+name+":") {
			t.Errorf("error does not name input %s: %s", name, msg)
		}
	}
	if !strings.Contains(msg, "input key: does not match the pattern") {
		t.Errorf("error does not explain the key: %s", msg)
	}
}
