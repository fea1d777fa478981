package ghtoken

import "github.com/keyir/keyir/provider"

// TODO(merge h-ghsim): keyir sim github and the drill scenarios.
func simulators() []provider.Simulator { return nil }
func scenarios() []provider.Scenario   { return nil }
