package drill

import "context"
import "fmt"
import "maps"

import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// Eradication is what `keyir drill --eradicate` adds: the eradication run
// against the world, and the footholds and legitimate items of the
// scenario's ground truth checked in the world afterwards (the world is a
// provider.Eradicable; package eradicate carries out the plan).
type Eradication struct {
	Run *playbook.Result
	// Found: ground-truth footholds that the run's plan names; Removed:
	// those gone from the account after the eradication; Open: those still
	// there. LegitimateRemoved: items the account must keep that are gone
	// (a drill with any fails).
	Found, Removed, Open []provider.Item
	LegitimateRemoved    []provider.Item
}

// eradicate carries out the sealed run's plan as `keyir eradicate --yes`
// would, then checks the ground truth in the world.
func (w *world) eradicate(ctx context.Context, o Options, parent *playbook.Result) (*Eradication, error) {
	er := w.world.(provider.Eradicable) // start refused a world that is not
	out := &Eradication{}
	p, err := eradicate.PrepareDrill(parent.Dir)
	if err != nil {
		return nil, fmt.Errorf("eradication plan of %s: %w", parent.Dir, err)
	}
	footholds := er.Footholds()
	for _, want := range footholds {
		for _, it := range p.Items {
			if it.Kind == want.Kind && it.Account == want.Account && it.Subject == want.Subject {
				out.Found = append(out.Found, want)
				break
			}
		}
	}
	env := maps.Clone(w.env)
	maps.Copy(env, er.EradicationEnv())
	getenv := func(k string) string { return env[k] }
	opts := playbook.Options{
		Mode: report.ModeDrill, Operator: o.Operator, Redactor: o.Redactor, Getenv: getenv,
		Observer: o.Observer, Version: o.Version, Now: o.Now, Backoff: drillBackoff,
	}
	// The checks `keyir eradicate` makes before it asks, made here too.
	if err := p.Check(ctx, opts); err != nil {
		return nil, err
	}
	res, err := eradicate.Run(ctx, p, false, opts)
	if err != nil {
		return nil, err
	}
	out.Run = res
	for _, f := range footholds {
		if er.Present(f) {
			out.Open = append(out.Open, f)
		} else {
			out.Removed = append(out.Removed, f)
		}
	}
	for _, l := range er.Legitimate() {
		if !er.Present(l) {
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
