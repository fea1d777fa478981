package drill

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/eradicate"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/sim/sendgridsim"
)

// Eradication is what `keyir drill --eradicate` adds: the eradication run
// against the simulator, and the footholds and legitimate items of the
// scenario's ground truth checked in the simulator's state afterwards.
type Eradication struct {
	Run *playbook.Result
	// Found: ground-truth footholds that the run's plan names; Removed:
	// those gone from the account after the eradication; Open: those still
	// there. LegitimateRemoved: items the account must keep that are gone
	// (a drill with any fails).
	Found, Removed, Open []sendgridsim.Item
	LegitimateRemoved    []sendgridsim.Item
}

// eradicatorKey is the key the drill's eradication runs with: the
// responder's reads plus the scopes of every removal. It is added before the
// baseline is taken, so it is part of what the account had.
func (w *world) addEradicatorKey(seed uint64) sendgridsim.Key {
	k := sendgridsim.NewKey(rand.New(rand.NewPCG(seed, 0xe7ad)), "keyir-eradicator", append(sendgridsim.ResponderScopes(), sendgridsim.RemovalScopes()...))
	w.fx.State.AddKey(k)
	w.fx.Legitimate = append(w.fx.Legitimate, sendgridsim.Item{Kind: "api_key", Subject: k.ID})
	return k
}

// eradicate carries out the sealed run's plan as `keyir eradicate --yes`
// would, then checks the ground truth in the simulator.
func (w *world) eradicate(ctx context.Context, o Options, parent *playbook.Result, key sendgridsim.Key) (*Eradication, error) {
	out := &Eradication{}
	p, err := eradicate.PrepareDrill(parent.Dir)
	if err != nil {
		return nil, fmt.Errorf("eradication plan of %s: %w", parent.Dir, err)
	}
	for _, want := range w.fx.Footholds {
		for _, it := range p.Items {
			if it.Kind == want.Kind && it.Account == want.Account && it.Subject == want.Subject {
				out.Found = append(out.Found, want)
				break
			}
		}
	}
	getenv := func(k string) string {
		if k == sendgrid.EnvAPIKey {
			return key.Token()
		}
		return w.getenv(k)
	}
	o.Redactor.Add(key.Token())
	res, err := eradicate.Run(ctx, p, false, playbook.Options{
		Mode: report.ModeDrill, Operator: o.Operator, Redactor: o.Redactor, Getenv: getenv,
		Observer: o.Observer, Version: o.Version, Now: o.Now, Backoff: drillBackoff,
	})
	if err != nil {
		return nil, err
	}
	out.Run = res
	st := w.fx.State
	for _, f := range w.fx.Footholds {
		if st.Present(f) {
			out.Open = append(out.Open, f)
		} else {
			out.Removed = append(out.Removed, f)
		}
	}
	for _, l := range w.fx.Legitimate {
		if !st.Present(l) {
			out.LegitimateRemoved = append(out.LegitimateRemoved, l)
		}
	}
	return out, nil
}

// Passed: every foothold removed, nothing legitimate touched, and the
// eradication run ended 0.
func (e *Eradication) Passed() bool {
	return e != nil && len(e.Open) == 0 && len(e.LegitimateRemoved) == 0 && e.Run != nil && e.Run.ExitCode == report.ExitDone
}
