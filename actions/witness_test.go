package actions

import "testing"

import "github.com/keyir/keyir/report"

// SameAPI: a loopback simulator comes back on another port (a drill's
// resume), so there only host and path count; anywhere else the port is
// part of where the provider is.
func TestSameAPI(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"http://127.0.0.1:41000/", "http://127.0.0.1:42000", true},
		{"http://127.0.0.1:41000/api/v3/", "http://127.0.0.1:42000/api/v3", true},
		{"http://[::1]:41000/", "http://[::1]:42000/", true},
		{"http://127.0.0.1:41000/", "http://127.0.0.2:41000/", false},
		{"http://127.0.0.1:41000/", "http://127.0.0.1:41000/api/v3/", false},
		{"https://api.github.com", "https://API.github.com/", true},
		{"https://api.github.com", "https://api.github.com:443/", true},
		{"https://ghe.example/api/v3/", "https://ghe.example:8443/api/v3/", false},
		{"https://ghe.example/api/v3/", "https://api.github.com/", false},
		{"https://slack.com/api/", "https://acme.slack.com/api/", false},
		{"", "https://slack.com/api/", false},
	} {
		if got := SameAPI(c.a, c.b); got != c.want {
			t.Errorf("SameAPI(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// SeenAccepted counts a witness of this credential at this API, or one
// written before steps recorded their API (except a witness by id, which
// was none then); one at another API is named as elsewhere and does not
// count.
func TestSeenAcceptedAtThisAPI(t *testing.T) {
	ws := []Witness{
		{Action: "p.liveness", Output: "status", Is: StatusLive},
		{Action: "p.revoke", Output: "revoked", Lists: true},
		{Action: "p.delete", Output: "key_id", Names: true},
	}
	here, there := "https://p.example/api/", "https://q.example/api/"
	live := func(id, api string, extra map[string]any) report.Step {
		out := map[string]any{"status": StatusLive}
		if api != "" {
			out["api_url"] = api
		}
		for k, v := range extra {
			out[k] = v
		}
		return report.Step{ID: id, Action: "p.liveness", Outputs: out}
	}
	for _, c := range []struct {
		name      string
		steps     []report.Step
		keys      []report.KeyOutcome
		seen      bool
		elsewhere string
	}{
		{"here", []report.Step{live("l", here, nil)}, nil, true, ""},
		{"another API", []report.Step{live("l", there, nil)}, nil, false, there},
		{"before steps recorded their API", []report.Step{live("l", "", nil)}, nil, true, ""},
		{"another fingerprint", []report.Step{live("l", here, map[string]any{"fingerprint": "0badf00d"})}, nil, false, ""},
		{"another key's step", []report.Step{live("l", here, nil)}, []report.KeyOutcome{
			{KeyRef: report.KeyRef{Label: "k1", Fingerprint: "0badf00d", Steps: []string{"l"}}},
			{KeyRef: report.KeyRef{Label: "k2", Fingerprint: "1234abcd", Steps: []string{"confirm"}}}}, false, ""},
		{"dead", []report.Step{{ID: "l", Action: "p.liveness", Outputs: map[string]any{"status": StatusDead, "api_url": here}}}, nil, false, ""},
		{"listed here", []report.Step{{ID: "r", Action: "p.revoke", Outputs: map[string]any{"revoked": []any{"1234abcd"}, "api_url": here}}}, nil, true, ""},
		{"listed at another API", []report.Step{{ID: "r", Action: "p.revoke", Outputs: map[string]any{"revoked": []any{"1234abcd"}, "api_url": there}}}, nil, false, there},
		{"id deleted here", []report.Step{{ID: "d", Action: "p.delete", Outputs: map[string]any{"key_id": "1234abcd", "api_url": here}}}, nil, true, ""},
		{"id deleted at another API", []report.Step{{ID: "d", Action: "p.delete", Outputs: map[string]any{"key_id": "1234abcd", "api_url": there}}}, nil, false, there},
		// A deletion journaled before it recorded its API was no witness.
		{"id deleted before steps recorded their API", []report.Step{{ID: "d", Action: "p.delete", Outputs: map[string]any{"key_id": "1234abcd"}}}, nil, false, ""},
		{"another id deleted", []report.Step{{ID: "d", Action: "p.delete", Outputs: map[string]any{"key_id": "0badf00d", "api_url": here}}}, nil, false, ""},
		{"another provider's action", []report.Step{{ID: "l", Action: "o.liveness", Outputs: map[string]any{"status": StatusLive, "api_url": here}}}, nil, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := &report.Report{Steps: c.steps, Keys: c.keys}
			env := &Env{Step: "confirm", Report: func() (*report.Report, error) { return rep, nil }}
			seen, elsewhere := SeenAccepted(env, "1234abcd", here, ws)
			if seen != c.seen || elsewhere != c.elsewhere {
				t.Errorf("SeenAccepted = %v, %q; want %v, %q", seen, elsewhere, c.seen, c.elsewhere)
			}
		})
	}
}
