package provider

import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/simhttp"

// SimWorld is the part of a World that every simulator-backed drill does
// alike, whatever the provider (S: the simulator's state, I: its items): the
// leaked credential, the attack and faults applied, a finished revoke
// replayed, faults injected on cue. A provider's World embeds it and fills
// in its own data: which journal step revokes, and how its simulator
// revokes again.
type SimWorld[S, I any] struct {
	// FaultInjector is the simulator: a Fault is simhttp's, so it is handed
	// on as it is.
	FaultInjector
	State S
	Truth *simhttp.Truth[S, I]
	// Leaked is the leaked secret (World.LeakedKey).
	Leaked string
	// Revokes picks the journal's step that revokes the leaked credential;
	// Revoke does it again in the rebuilt simulator, at the instant it
	// finished.
	Revokes func(report.Step) bool
	Revoke  func(at time.Time)
}

// LeakedKey implements World.
func (w *SimWorld[S, I]) LeakedKey() string { return w.Leaked }

// Attack implements World: the holder's deeds, then the scenario's faults.
func (w *SimWorld[S, I]) Attack() {
	Attack(w.State, w.Truth.Attack, w.Truth.Faults, w.InjectFault)
}

// Replay implements World: the leaked credential revoked again when the
// journal says the revoke step finished (one that started but did not finish
// is left undone: the resumed revoke sends it again).
func (w *SimWorld[S, I]) Replay(steps []report.Step) {
	ReplayFinished(steps, w.Revokes, w.Revoke)
}
