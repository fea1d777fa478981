package actions

import "context"
import "fmt"
import "strings"
import "testing"

// TestRegisterMany: a provider registers all of its actions in one call;
// each is then found by name, and a duplicate anywhere in the list is
// refused loudly.
func TestRegisterMany(t *testing.T) {
	newAction := func() Action { return &registerManyAction{} }
	Register(Info{Name: "registermany.one", Summary: "one", New: newAction}, Info{Name: "registermany.two", Summary: "two", New: newAction})
	for _, n := range []string{"registermany.one", "registermany.two"} {
		if _, ok := Lookup(n); !ok {
			t.Errorf("%s not registered", n)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "duplicate registration registermany.two") {
			t.Errorf("recovered %v", r)
		}
	}()
	Register(Info{Name: "registermany.three", Summary: "three", New: newAction}, Info{Name: "registermany.two", Summary: "again", New: newAction})
}

type registerManyAction struct{}

func (*registerManyAction) Run(context.Context, *Env) (Outputs, error) { return nil, nil }
