package playbook

import "testing"

// FuzzTemplate: any `with:` value a playbook author (or a stranger's
// playbook) writes either fails to parse with an error, or renders against
// a scope of inputs and step outputs without panicking.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"plain text", "{{ .inputs.key }}", "{{ .steps.revoke.status }}", `{{ if eq .steps.revoke.status 404 }}gone{{ end }}`,
		`{{ index .steps "a" }}`, "{{ .run.incident }}-{{ .inputs.list }}", "{{ range .inputs.list }}{{ . }},{{ end }}",
		"{{ define \"x\" }}y{{ end }}", "{{ .nope }}", "{{", "}}", "{{ printf \"%v\" .inputs }}", "{{ len .inputs.list }}",
		"{{ .inputs.key | upper }}", "{{/* c */}}", "{{ template \"x\" }}", "{{ 1 }}", "{{ slice .inputs.key 1 2 }}",
	} {
		f.Add(s)
	}
	scope := Scope{
		Inputs: map[string]any{"key": "SG.x", "list": []any{"a", "b"}, "n": 3, "ok": true},
		Steps:  map[string]map[string]any{"revoke": {"status": 404, "revoked": []any{"id"}}, "a": {}},
		Run:    map[string]any{"incident": "INC-1", "dry_run": false},
	}
	f.Fuzz(func(t *testing.T, src string) {
		tm, err := ParseTemplate(src)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		_, _ = tm.Render(scope)
		_ = tm.Refs()
	})
}
