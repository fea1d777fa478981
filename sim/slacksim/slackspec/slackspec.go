// Package slackspec checks the Slack simulator against Slack's own
// description of its Web API (testdata/slack-oai, OpenAPI 2.0, 2021), both
// ways: every request a test sent to a described method (only declared
// arguments, the required ones present, a token) and every answer the
// simulator gave (the method's success or error schema). Where the live API
// departs from that description, the difference is listed in Allowed, with
// its reason; nothing else is exempt.
//
// Tests call Check with the simulator's recorded calls when they end:
//
//	t.Cleanup(func() { slackspec.Check(t, sim.Calls()) })
package slackspec

import "bytes"
import "encoding/json"
import "fmt"
import "os"
import "path/filepath"
import "runtime"
import "sort"
import "strings"
import "sync"
import "testing"

import "github.com/pb33f/jsonschema/v6"

import "github.com/keyir/keyir/sim/slacksim"

// Methods are the Web API methods checked: those of the token model, which
// keyir's Slack token actions call, and those of the notification channel
// and keyir serve that the 2021 description has (files.* upload methods
// are newer than it).
var Methods = []string{"auth.test", "auth.revoke", "team.accessLogs", "team.integrationLogs",
	"chat.postMessage", "chat.update", "chat.postEphemeral", "conversations.info", "usergroups.users.list"}

// Exemption is one allowed departure from the description.
type Exemption struct {
	Method string
	// Match reports whether the departure applies to an answer.
	Match  func(body map[string]any) bool
	Reason string
	// Instead is what is checked instead of the schema.
	Instead func(body map[string]any) error
}

// Allowed is the one list of departures.
var Allowed = []Exemption{
	{
		Method: "*", Reason: "missing_scope is Slack's answer on every method to a token without the method's scope, with the scope needed and those provided; the 2021 description leaves it out of each method's error enum",
		Match: func(b map[string]any) bool { return b["ok"] == false && b["error"] == "missing_scope" },
		Instead: func(b map[string]any) error {
			if _, ok := b["needed"].(string); !ok {
				return fmt.Errorf("missing_scope without needed")
			}
			if _, ok := b["provided"].(string); !ok {
				return fmt.Errorf("missing_scope without provided")
			}
			return nil
		},
	},
	{
		Method: "team.accessLogs", Reason: "the description says logins has at least one item (its example's artifact); Slack answers an empty list when no login matches",
		Match:   func(b map[string]any) bool { l, ok := b["logins"].([]any); return b["ok"] == true && ok && len(l) == 0 },
		Instead: func(b map[string]any) error { return need(b, "paging") },
	},
	{
		Method: "team.integrationLogs", Reason: "the description says logs has at least one item (its example's artifact); Slack answers an empty list when no change matches",
		Match:   func(b map[string]any) bool { l, ok := b["logs"].([]any); return b["ok"] == true && ok && len(l) == 0 },
		Instead: func(b map[string]any) error { return need(b, "paging") },
	},
}

func need(b map[string]any, field string) error {
	if _, ok := b[field]; !ok {
		return fmt.Errorf("no %s", field)
	}
	return nil
}

// SpecFile is the description in this source tree (found from this file).
func SpecFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "slack-oai", "slack_web_openapi_v2_without_examples.json")
}

// operation is what the description says of one method.
type operation struct {
	params  map[string]bool // declared argument → required
	success *jsonschema.Schema
	failure *jsonschema.Schema
}

var (
	loadOnce sync.Once
	ops      map[string]*operation
	loadErr  error
)

func load() (map[string]*operation, error) {
	loadOnce.Do(func() {
		data, err := os.ReadFile(SpecFile())
		if err != nil {
			loadErr = err
			return
		}
		var spec struct {
			Paths map[string]map[string]struct {
				Parameters []struct {
					Name     string `json:"name"`
					Required bool   `json:"required"`
				} `json:"parameters"`
			} `json:"paths"`
		}
		if loadErr = json.Unmarshal(data, &spec); loadErr != nil {
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			loadErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		if loadErr = c.AddResource("slack.json", doc); loadErr != nil {
			return
		}
		ops = map[string]*operation{}
		for _, m := range Methods {
			// Slack declares each method under one HTTP method (GET for
			// most, POST for the writes) and accepts either.
			verb := "get"
			p, ok := spec.Paths["/"+m][verb]
			if !ok {
				verb = "post"
				p, ok = spec.Paths["/"+m][verb]
			}
			if !ok {
				loadErr = fmt.Errorf("the description has no %s", m)
				return
			}
			op := &operation{params: map[string]bool{}}
			for _, x := range p.Parameters {
				op.params[x.Name] = x.Required
			}
			base := "slack.json#/paths/~1" + m + "/" + verb + "/responses/"
			if op.success, loadErr = c.Compile(base + "200/schema"); loadErr != nil {
				return
			}
			if op.failure, loadErr = c.Compile(base + "default/schema"); loadErr != nil {
				return
			}
			ops[m] = op
		}
	})
	return ops, loadErr
}

// Problems lists every departure of the calls from the description that
// Allowed does not exempt.
func Problems(calls []slacksim.Call) ([]string, error) {
	ops, err := load()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range calls {
		op := ops[c.Method]
		if op == nil {
			continue
		}
		for _, p := range request(c, op) {
			out = append(out, fmt.Sprintf("request %s: %s", c.Method, p))
		}
		if p := answer(c, op); p != "" {
			out = append(out, fmt.Sprintf("answer of %s (HTTP %d): %s", c.Method, c.Status, p))
		}
	}
	sort.Strings(out)
	return out, nil
}

// request checks the arguments a call carried.
func request(c slacksim.Call, op *operation) []string {
	var out []string
	if c.Token == "" {
		out = append(out, "no token")
	}
	for name := range c.Fields {
		if _, ok := op.params[name]; !ok {
			out = append(out, fmt.Sprintf("argument %q is not declared", name))
		}
	}
	for name, req := range op.params {
		if req && name != "token" && !c.Fields.Has(name) {
			out = append(out, fmt.Sprintf("required argument %q is missing", name))
		}
	}
	return out
}

// answer checks what the simulator answered; "" when it conforms.
func answer(c slacksim.Call, op *operation) string {
	switch {
	case c.Status == 429:
		return "" // throttled: no body, Retry-After (the simulator's tests check it)
	case c.Status != 200 || len(c.Reply) == 0:
		return "" // an injected fault, not the simulator's answer
	}
	var body map[string]any
	if err := json.Unmarshal(c.Reply, &body); err != nil {
		return "not a JSON object"
	}
	for _, e := range Allowed {
		if (e.Method == "*" || e.Method == c.Method) && e.Match(body) {
			if err := e.Instead(body); err != nil {
				return err.Error()
			}
			return ""
		}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.Reply))
	if err != nil {
		return err.Error()
	}
	sch := op.failure
	if body["ok"] == true {
		sch = op.success
	}
	if err := sch.Validate(doc); err != nil {
		return strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return ""
}

// Check fails t on every departure.
func Check(t testing.TB, calls []slacksim.Call) {
	t.Helper()
	problems, err := Problems(calls)
	if err != nil {
		t.Fatalf("slackspec: %v", err)
	}
	for _, p := range problems {
		t.Errorf("departs from Slack's Web API description (testdata/slack-oai): %s", p)
	}
}
