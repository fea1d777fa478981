package actions

import "context"
import "slices"
import "strings"
import "testing"

// sharedScope stands for parameters several actions share (sendgrid's
// assessedAccount): declared once, embedded.
type sharedScope struct {
	Account string `param:"account,required" desc:"the account"`
	Region  string `param:"region" default:"global" desc:"its region"`
	Token   string `param:"token,secret" desc:"a secret"`
}

type embedAction struct {
	Name string `param:"name" desc:"a name"`
	sharedScope
}

func (*embedAction) Run(context.Context, *Env) (Outputs, error) { return nil, nil }

func TestEmbeddedStructParamsAreTheActionsOwn(t *testing.T) {
	info := Info{Name: "test.embed", New: func() Action { return new(embedAction) }}
	if got, want := paramNames(info.Params()), []string{"name", "account", "region", "token"}; !slices.Equal(got, want) {
		t.Fatalf("params %v, want %v (in declaration order, the embedded ones in its place)", got, want)
	}
	a, err := Decode(info, map[string]any{"name": "n", "account": "acme", "token": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	e := a.(*embedAction)
	if e.Account != "acme" || e.Region != "global" || e.Name != "n" {
		t.Errorf("decoded %+v: want account acme, the default region global, name n", e)
	}
	if got := SecretValues(a); !slices.Equal(got, []string{"s3cret"}) {
		t.Errorf("secret values %v, want the embedded secret", got)
	}
	if _, err := Decode(info, map[string]any{"name": "n"}); err == nil || !strings.Contains(err.Error(), `"account"`) {
		t.Errorf("a missing embedded required parameter: err %v", err)
	}
}
