package simhttp

import "hash/fnv"
import "math/rand/v2"
import "time"

// Named is an entry of a simulator's scenario catalog (B: what Build
// returns, such as *Fixture): every simulator lists and finds its scenarios
// the same way, so they share one shape and one lookup.
type Named[B any] struct {
	Name        string
	Description string
	Build       func(now time.Time) B
}

// Lookup finds a catalog entry by name.
func Lookup[B any](catalog []Named[B], name string) (Named[B], bool) {
	for _, s := range catalog {
		if s.Name == name {
			return s, true
		}
	}
	return Named[B]{}, false
}

// SeededRand is the generator a scenario builds its world with, seeded by
// the scenario's name: the same scenario is the same world on every run
// (ids, secrets, times), and two scenarios differ.
func SeededRand(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(h.Sum64(), 0))
}
