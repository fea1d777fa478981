package sendgridsim

import "github.com/keyir/keyir/sim/simhttp"

// The incident scenarios (Scenario) and the audit postures (AuditScenario)
// are listed and found the same way, as every simulator's catalog is
// (simhttp.Named, simhttp.Lookup).

// Scenario is a rehearsable incident.
type Scenario = simhttp.Named[*Fixture]

// AuditScenario is a named account posture.
type AuditScenario = simhttp.Named[*AuditFixture]
