package playbook

import "reflect"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"

func scope() Scope {
	return Scope{
		Inputs: map[string]any{"key_id": "abc", "subusers": []string{"a", "b"}, "max": 5, "notify": true, "empty": "", "window": 7 * 24 * time.Hour},
		Steps: map[string]map[string]any{
			"scopes":    {"scopes": []string{"mail.send", "api_keys.read"}, "count": 2},
			"check-key": {"status": 401},
		},
		Run: map[string]any{"incident": "INC-42"},
	}
}

func render(t *testing.T, src string) any {
	t.Helper()
	tm, err := ParseTemplate(src)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", src, err)
	}
	v, err := tm.Render(scope())
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return v
}

func TestRenderRawValues(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		// A whole-value template keeps the Go value: lists stay lists.
		{"{{ .steps.scopes.scopes }}", []string{"mail.send", "api_keys.read"}},
		{"{{.inputs.subusers}}", []string{"a", "b"}},
		{"{{ .inputs.max }}", 5},
		{"{{ .inputs.notify }}", true},
		{`{{ ne .inputs.key_id "" }}`, true},
		{`{{ index .steps "check-key" "status" }}`, 401},
		{"{{ .inputs.window }}", 7 * 24 * time.Hour},
		{`{{ .inputs.empty | default "none" }}`, "none"},
		// Anything around the action makes it text.
		{"{{ .steps.scopes.scopes }} ", "[mail.send api_keys.read] "},
		{"key {{ .inputs.key_id }} in {{ .run.incident }}", "key abc in INC-42"},
		{"no template", "no template"},
		{`{{ .inputs.subusers | join ", " | upper }}`, "A, B"},
		{`{{ .steps.scopes.scopes | json }}`, `["mail.send","api_keys.read"]`},
		{`{{ contains "mail.send" .steps.scopes.scopes }}`, true},
		{`{{ .run.incident | contains "INC" }}`, true},
		{`{{ .run.incident | hasPrefix "INC-" }}`, true},
		{`{{ " x " | trim | quote }}`, `"x"`},
		{`{{ .run.incident | lower }}`, "inc-42"},
		{`{{ len .inputs.subusers }}`, 2},
		{`{{ range $i, $s := .inputs.subusers }}{{ $s }}{{ $.inputs.max }}{{ end }}`, "a5b5"},
	}
	for _, tt := range tests {
		if got := render(t, tt.src); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Render(%q) = %#v, want %#v", tt.src, got, tt.want)
		}
	}
}

func TestRenderMissingKey(t *testing.T) {
	for _, src := range []string{"{{ .inputs.nope }}", "x {{ .steps.scopes.nope }}", "{{ .steps.missing.status }}"} {
		tm, err := ParseTemplate(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tm.Render(scope())
		if err == nil || !strings.Contains(err.Error(), "no entry for key") {
			t.Errorf("Render(%q): got %v, want a missing key error", src, err)
		}
		if err != nil && strings.Contains(err.Error(), "tmpl") {
			t.Errorf("error mentions the internal template name: %v", err)
		}
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := map[string]string{
		"{{ .inputs.x ":                                 "unclosed action",
		`{{ env "HOME" }}`:                              `function "env" not defined`,
		"{{ .input.x }}":                                `unknown name .input`,
		`{{ define "x" }}y{{ end }}`:                    "not supported",
		`{{ template "x" }}`:                            "not supported",
		"{{ _capture .inputs.x }}":                      `function "_capture" not defined`,
		`{{ with .inputs }}{{ .x }}{{ end }}{{ .foo }}`: "unknown name .foo",
	}
	for src, want := range tests {
		_, err := ParseTemplate(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTemplate(%q) = %v, want an error containing %q", src, err, want)
		}
	}
}

func TestRefs(t *testing.T) {
	src := `{{ .inputs.key_id }} {{ if .steps.revoke.status }}{{ .run.incident }}{{ end }}` +
		`{{ index .steps "check-key" "status" }}{{ with .steps.scopes }}{{ .ignored }}{{ $.inputs.window }}{{ end }}` +
		`{{ range .inputs.subusers }}{{ . }}{{ end }}{{ .inputs.key_id }}{{ (.steps.x).y }}`
	tm, err := ParseTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{
		{Kind: "inputs", Name: "key_id"},
		{Kind: "steps", Name: "revoke", Field: "status"},
		{Kind: "run", Name: "incident"},
		{Kind: "steps", Name: "check-key", Field: "status"},
		{Kind: "steps"},
		{Kind: "steps", Name: "scopes"},
		{Kind: "inputs", Name: "window"},
		{Kind: "inputs", Name: "subusers"},
		{Kind: "steps", Name: "x"},
	}
	if got := tm.Refs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Refs =\n%+v\nwant\n%+v", got, want)
	}
	if tm.Source() != src {
		t.Errorf("Source = %q", tm.Source())
	}
}

// TestRenderConcurrent: the runner may render steps' templates from several
// goroutines (drills run in parallel in tests); each render captures its own
// value.
func TestRenderConcurrent(t *testing.T) {
	tm, err := ParseTemplate("{{ .inputs.n }}")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := tm.Render(Scope{Inputs: map[string]any{"n": i}})
			if err != nil || v != i {
				t.Errorf("render %d = %v, %v", i, v, err)
			}
		}()
	}
	wg.Wait()
}

func TestStepHelpers(t *testing.T) {
	pb, err := Load("t.yaml", []byte(`name: t
inputs:
  url: {type: string}
  codes: {type: string}
steps:
  - id: call
    action: core.http
    with:
      url: "{{ .inputs.url }}"
      method: DELETE
      headers:
        X-Incident: "{{ .run.incident }}"
      expect: "{{ .inputs.codes }}"
    if: "{{ .run.incident }}"
  - id: plain
    action: core.note
    with: {text: hi}
    if: "false"
`))
	if err != nil {
		t.Fatal(err)
	}
	call, plain := &pb.Steps[0], &pb.Steps[1]
	sc := Scope{Inputs: map[string]any{"url": "https://example.com/k/1", "codes": "204,404"}, Run: map[string]any{"incident": "true"}}
	params, err := call.Params(sc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"url": "https://example.com/k/1", "method": "DELETE",
		"headers": map[string]any{"X-Incident": "true"}, "expect": "204,404"}
	if !reflect.DeepEqual(params, want) {
		t.Errorf("Params = %#v", params)
	}
	if ok, err := call.Cond(sc); !ok || err != nil {
		t.Errorf("Cond = %v, %v", ok, err)
	}
	if ok, err := plain.Cond(sc); ok || err != nil {
		t.Errorf("plain Cond = %v, %v", ok, err)
	}
	a, err := call.Decode(sc)
	if err != nil {
		t.Fatal(err)
	}
	if !actions.MutatesWith(call.Info, a) {
		t.Error("a DELETE should mutate")
	}

	// A condition that is neither true nor false is an error naming the step.
	sc.Run["incident"] = "INC-42"
	if _, err := call.Cond(sc); err == nil || !strings.Contains(err.Error(), "step call: if: want true or false") {
		t.Errorf("Cond on INC-42: %v", err)
	}
	// A rendered value of the wrong type fails Decode, naming step and parameter.
	sc.Inputs["codes"] = "ok"
	if _, err := call.Decode(sc); err == nil || !strings.Contains(err.Error(), `step call: parameter "expect"`) {
		t.Errorf("Decode with bad codes: %v", err)
	}
	// Validate runs on rendered values.
	sc.Inputs["codes"] = "204"
	sc.Inputs["url"] = "http://example.com/"
	if _, err := call.Decode(sc); err == nil || !strings.Contains(err.Error(), `step call: parameter "url"`) {
		t.Errorf("Decode with plain http: %v", err)
	}
	// A missing input is a template error naming step and parameter.
	delete(sc.Inputs, "url")
	if _, err := call.Params(sc); err == nil || !strings.Contains(err.Error(), `step call: parameter "url": `) {
		t.Errorf("Params without url: %v", err)
	}
}
