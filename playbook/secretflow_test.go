package playbook

import "slices"
import "strings"
import "testing"

const flowHeader = `name: flow
description: secret flow
inputs:
  key: {type: string, secret: true, required: true}
  key_id: {type: string}
  list: {type: list}
steps:
`

// TestSecretFlowAccepts: the direct forms of passing the key to a secret
// parameter load, and templates that touch no secret keep every helper.
func TestSecretFlowAccepts(t *testing.T) {
	src := flowHeader + `  - id: a
    action: sendgrid.identify_key
    with: {key: "{{ .inputs.key }}"}
  - id: b
    action: sendgrid.key_liveness
    with: {key: "{{ $.inputs.key }}"}
  - id: c
    action: sendgrid.confirm_revoked
    with: {key: "{{- .inputs.key -}}", key_id: "{{ .steps.a.key_id | trim }}"}
  - id: d
    action: core.note
    if: '{{ and (ne .inputs.key_id "") (gt (len .inputs.list) 0) }}'
    with:
      text: >-
        {{ range $i, $s := .inputs.list }}{{ if $i }}, {{ end }}{{ $s | upper }}{{ end }}
        {{ index .steps "a" "key_id" }} {{ .inputs.key_id | default "none" | quote }}
        {{ with .steps.b }}{{ .live }}{{ end }} {{ json .steps.a }} {{ .run.incident }}
`
	if _, err := Load("ok.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
}

// TestSecretFlowRefuses: every other way a template can read a secret input
// is a load error at the value's line and column, whatever the function,
// control structure, variable or nesting.
func TestSecretFlowRefuses(t *testing.T) {
	const notSecret = `can go only to a parameter declared secret`
	const notWhole = `must be the whole value, untransformed`
	const whole = `reads the secret input "key"; name the inputs you need`
	cases := []struct {
		action, param, value, want string
	}{
		{"core.note", "text", `{{ .inputs.key }}`, notSecret},
		{"core.note", "text", `{{ .inputs.key | json }}`, notSecret},
		{"core.note", "text", `{{ .inputs.key | quote }}`, notSecret},
		{"core.note", "text", `{{ .inputs.key | lower }}`, notSecret},
		{"core.note", "text", `{{ contains "SG.a" .inputs.key }}`, notSecret},
		{"core.note", "text", `{{ hasPrefix "SG.a" .inputs.key }}`, notSecret},
		{"core.note", "text", `{{ eq .inputs.key "x" }}`, notSecret},
		{"core.note", "text", `{{ lt .inputs.key "SG.m" }}`, notSecret},
		{"core.note", "text", `{{ len .inputs.key }}`, notSecret},
		{"core.note", "text", `{{ index .inputs.key 0 }}`, notSecret},
		{"core.note", "text", `{{ with $x := .inputs.key }}{{ $x }}{{ end }}`, notSecret},
		{"core.note", "text", `{{ $x := .inputs.key }}ok`, notSecret},
		{"core.note", "text", `{{ range $i, $c := .inputs.key }}{{ $c }}{{ end }}`, notSecret},
		{"core.note", "text", `{{ with .inputs.key_id }}{{ else }}{{ .inputs.key }}{{ end }}`, notSecret},
		{"core.note", "text", `{{ with .steps }}{{ $.inputs.key }}{{ end }}`, notSecret},
		{"core.note", "text", `{{ if .inputs.key }}set{{ end }}`, notSecret},
		{"core.note", "text", `{{ (.inputs).key }}`, whole},
		{"core.note", "text", `{{ $ }}`, whole},
		{"core.note", "text", `{{ index $ "inputs" "key" }}`, whole},
		{"core.note", "text", `{{ index . "inputs" }}`, whole},
		{"sendgrid.identify_key", "key", `{{ .inputs.key.x }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ if true }}{{ .inputs.key }}{{ end }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ .inputs.key }}{{ .inputs.key }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ and .inputs.key_id .inputs.key }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ or .inputs.key "" }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ default "x" .inputs.key }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ (.inputs.key) }}`, notWhole},
		{"sendgrid.identify_key", "key", `{{ .inputs.key | trim }}`, notWhole},
		{"sendgrid.identify_key", "key", ` {{ .inputs.key }}`, notWhole},
		{"sendgrid.identify_key", "key_id", `{{ .inputs.key }}`, notSecret},
	}
	for _, c := range cases {
		src := flowHeader + "  - id: s\n    action: " + c.action + "\n    with:\n      " + c.param + ": '" + c.value + "'\n"
		_, err := Load("f.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "f.yaml:11:"+itoa(len(c.param)+9)+`: step "s": parameter "`+c.param+`": `) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %s\ngot  %v\nwant %q", c.action, c.param, c.value, err, c.want)
		}
	}
	// Nested in a list or mapping: never whole, even for a secret parameter.
	for _, v := range []string{`['{{ .inputs.key }}']`, `{a: '{{ .inputs.key }}'}`} {
		src := flowHeader + "  - id: s\n    action: sendgrid.identify_key\n    with:\n      key: " + v + "\n"
		if _, err := Load("f.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), notWhole) {
			t.Errorf("nested %s: %v", v, err)
		}
	}
	// An if never reads a secret, not even to test it is set.
	for _, v := range []string{`{{ .inputs.key }}`, `{{ ne .inputs.key "" }}`, `{{ eq (len .inputs.key) 69 }}`, `{{ . }}`} {
		src := flowHeader + "  - id: s\n    action: core.note\n    if: '" + v + "'\n    with: {text: x}\n"
		_, err := Load("f.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), `f.yaml:10:9: step "s": if: a condition cannot read the secret input "key"`) {
			t.Errorf("if %s: %v", v, err)
		}
	}
}

// TestRefusedFuncs: the builtins that re-encode a string are refused at
// parse whatever they are applied to, and fail if ever executed.
func TestRefusedFuncs(t *testing.T) {
	for _, name := range refusedFuncs {
		for _, src := range []string{"{{ " + name + " .inputs.key_id }}", "{{ .inputs.key_id | " + name + " }}", "{{ eq (" + name + " 1) 1 }}"} {
			if _, err := ParseTemplate(src); err == nil || !strings.Contains(err.Error(), name+" is not available") {
				t.Errorf("ParseTemplate(%q) = %v", src, err)
			}
		}
		f, ok := funcs[name].(func(...any) (string, error))
		if !ok {
			t.Fatalf("%s is not overridden", name)
		}
		if _, err := f("x"); err == nil {
			t.Errorf("%s ran", name)
		}
	}
	for _, name := range FuncNames() {
		if slices.Contains(refusedFuncs, name) {
			t.Errorf("FuncNames lists refused %s", name)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
