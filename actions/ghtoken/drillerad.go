package ghtoken

import "math/rand/v2"
import "slices"
import "strconv"
import "strings"
import "time"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/sim/githubsim"
import "github.com/keyir/keyir/tokenfmt"

// A GitHub drill rehearses `keyir eradicate` (--eradicate) with an
// eradicator's token: an owner's (alice's), with the responder's reads and
// the scopes of every removal GitHub lets an owner make, added before the
// baseline is taken, so it is part of what the organization had.

// eradicatorScopes are the classic scopes of the removals: deploy keys and
// visibility (repo), repository webhooks (admin:repo_hook), organization
// webhooks (admin:org_hook), invitations (admin:org).
func eradicatorScopes() []string {
	return append(githubsim.ResponderScopes(), "admin:repo_hook", "admin:org")
}

// addEradicator gives the world its eradicator's token, made the same way
// for the same instant (a resumed drill rebuilds the same world).
func (w *DrillWorld) addEradicator(built time.Time) error {
	tok, err := tokenfmt.MintGitHub("ghp_", rand.NewChaCha8([32]byte{byte(built.Unix()), byte(built.Unix() >> 8), byte(built.Unix() >> 16), 0xe7, 0xad}))
	if err != nil {
		return err
	}
	t := w.fx.State.AddToken(githubsim.Token{Value: tok, Kind: "github_classic_pat", Login: w.fx.ResponderLogin, Scopes: eradicatorScopes(),
		CreatedAt: built.AddDate(0, -1, 0), ExpiresAt: built.AddDate(0, 1, 0)})
	w.eradicator = t.Value
	w.fx.Legitimate = append(w.fx.Legitimate, githubsim.Item{Kind: "token", Subject: t.Value})
	return nil
}

// EradicationEnv is the eradication run's environment: the eradicator's
// token in place of the responder's.
func (w *DrillWorld) EradicationEnv() map[string]string {
	return map[string]string{EnvAPIURL: w.url, EnvToken: w.eradicator, EnvToken + "_FILE": ""}
}

// removableKinds are the finding kinds keyir eradicate removes: the
// drill holds the eradication to those. A user's SSH key stays by hand (an
// owner cannot delete it on github.com) and is not counted.
var removableKinds = []string{KindDeployKey, KindWebhook, KindInvitation, KindVisibility}

// Footholds are the scenario's footholds keyir removes, named as the plan
// names them (the finding's kind and subject).
func (w *DrillWorld) Footholds() []provider.Item {
	var out []provider.Item
	for _, e := range w.fx.Expected {
		if slices.Contains(removableKinds, e.Kind) {
			out = append(out, provider.Item{Kind: e.Kind, Subject: e.Subject})
		}
	}
	return out
}

// Legitimate are what the organization had and must keep, named as the
// simulator names them.
func (w *DrillWorld) Legitimate() []provider.Item {
	out := make([]provider.Item, 0, len(w.fx.Legitimate))
	for _, l := range w.fx.Legitimate {
		out = append(out, provider.Item{Kind: l.Kind, Subject: l.Subject})
	}
	return out
}

// Present reports whether an item is still there: a foothold by the id its
// subject ends with (a visibility change while the repository is not
// private), a legitimate item as the simulator names it.
func (w *DrillWorld) Present(it provider.Item) bool {
	st := w.fx.State
	id, _ := strconv.ParseInt(it.Subject[strings.LastIndex(it.Subject, "/")+1:], 10, 64)
	switch it.Kind {
	case KindDeployKey:
		return st.HasDeployKey(id)
	case KindWebhook:
		return st.HasHook(id)
	case KindInvitation: // the invitee's login or email
		return st.Present(githubsim.Item{Kind: "invitation", Subject: it.Subject})
	case KindVisibility:
		return !st.Present(githubsim.Item{Kind: "visibility", Subject: it.Subject + "=private"})
	}
	return st.Present(githubsim.Item{Kind: it.Kind, Subject: it.Subject})
}

var _ provider.Eradicable = (*DrillWorld)(nil)
