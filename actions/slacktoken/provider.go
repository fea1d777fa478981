package slacktoken

import "embed"
import "io/fs"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/sim/slacksim"

// The built-in playbook notifies with notify.all: linking this package
// is all a program needs for the playbook to load and run.
import _ "github.com/keyir/keyir/actions/notifystep"

// playbookFS holds the Slack token playbook keyir ships.
//
//go:embed playbooks/*.yaml
var playbookFS embed.FS

// The simulator is not registered here: `keyir sim slack` is also the
// notification channel's simulator, and the CLI prints each channel's
// transcript with its terminal renderer when it stops (cmd/keyir/sim.go
// serves a scenario's world with --scenario).
func init() {
	actions.DeclareReach("slack", actions.Reach{
		Credentials: []string{EnvAdminToken, EnvOrgToken},
		Hosts:       []string{"slack.com", "api.slack.com"},
	})
	sub, err := fs.Sub(playbookFS, "playbooks")
	if err != nil {
		panic(err)
	}
	var scenarios []provider.Scenario
	for _, sc := range slacksim.Scenarios() {
		scenarios = append(scenarios, provider.Scenario{
			Name: sc.Name, Description: sc.Description, Playbook: "slack-token-compromise", Truth: truthOf(sc),
			World: drillWorld(sc),
		})
	}
	// Its actions, each declared beside its type (<verb>Info), in the
	// order its playbook runs them.
	actions.Register(identifyTokenInfo, tokenLivenessInfo, snapshotTokenInfo, revokeTokenInfo,
		confirmRevokedInfo, accessLogsInfo, integrationLogsInfo, auditLogsInfo)
	provider.Register(provider.Provider{
		Name:      "slack",
		Title:     "Slack",
		Keys:      kinds,
		Playbooks: sub,
		Scenarios: scenarios,
		Doctor:    doctor,
	})
}

// truthOf is a scenario's ground truth when built at the given instant.
func truthOf(sc slacksim.Scenario) func(time.Time) provider.Truth {
	return func(built time.Time) provider.Truth {
		w := sc.Build(built)
		return provider.TruthFrom(w.Containment, w.ExitCode, w.Expected)
	}
}
