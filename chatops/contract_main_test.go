package chatops_test

import "os"
import "testing"

import "github.com/keyir/keyir/sim/sendgridsim/contract"

// TestMain fails the package's tests when any request they sent to a SendGrid simulator
// departs from the official spec (an undeclared query parameter or header, a body the
// schema refuses …): keyir's own requests are held to the spec, not only the simulator's
// answers.
func TestMain(m *testing.M) { os.Exit(contract.RunMain(m)) }
