package sendgridsim

import "time"

// Named is an entry of a scenario catalog: the incident scenarios
// (Scenario) and the audit postures (AuditScenario) are listed and found
// the same way, so they share one shape and one lookup.
type Named[F any] struct {
	Name        string
	Description string
	Build       func(now time.Time) *F
}

// Scenario is a rehearsable incident.
type Scenario = Named[Fixture]

// AuditScenario is a named account posture.
type AuditScenario = Named[AuditFixture]

// lookup finds a catalog entry by name.
func lookup[F any](catalog []Named[F], name string) (Named[F], bool) {
	for _, s := range catalog {
		if s.Name == name {
			return s, true
		}
	}
	return Named[F]{}, false
}
