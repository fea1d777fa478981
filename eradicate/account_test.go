package eradicate_test

import "testing"

import "github.com/keyir/keyir/sim/sendgridsim"

// TestEradicateRefusesAnotherAccount: a run's footholds were found in one
// SendGrid account; keyir eradicate with SENDGRID_API_KEY of another
// account would send their removals there: a 404 read as "already gone"
// while the backdoor key stays live where it was found, and a forward
// setting of the other account switched off. It is refused before
// anything is sent, and the footholds stay open (exit not 0).
func TestEradicateRefusesAnotherAccount(t *testing.T) {
	a := newWorld(t, allScopes())
	a.attack()
	parent := a.assess(t, t.TempDir(), "")

	b := newWorld(t, allScopes())
	b.st.SetOwner(sendgridsim.Owner{Username: "other-account", UserID: 2000})
	b.attack() // the same kinds of item, another account's
	res := b.eradicate(t, parent.Dir, nil, false, nil)
	if res.ExitCode == 0 {
		t.Errorf("an eradication with another account's key ended 0")
	}
	for _, f := range b.footholds {
		if f.Kind != "api_key" && !b.st.Present(f) {
			t.Errorf("%v removed from another account than the one the run assessed", f)
		}
	}
	for _, f := range a.footholds {
		if !a.st.Present(f) {
			t.Errorf("%v gone from the account assessed, though nothing was sent there", f)
		}
	}
}
