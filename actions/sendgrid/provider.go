package sendgrid

import "context"
import "embed"
import "io"
import "io/fs"
import "slices"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/sim/sendgridsim"

// The built-in playbook notifies with notify.all: linking this package
// is all a program needs for the playbook to load and run.
import _ "github.com/keyir/keyir/actions/notifystep"

// playbookFS holds the SendGrid playbooks keyir ships, <name>.yaml each.
//
//go:embed playbooks/*.yaml
var playbookFS embed.FS

// APIKey is the shape of a SendGrid API key, SG.<22-character id>.<43
// characters>: the one definition ParseKey, the redactor and the CLI use.
// SendGrid keys carry no checksum.
var APIKey = &provider.KeyKind{
	Kind:     "sendgrid-api-key",
	Human:    "SendGrid API key",
	Prefix:   "SG.",
	Pattern:  `SG\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})`,
	Loose:    `SG\.[A-Za-z0-9_-]{6,}`,
	Revoke:   "SendGrid: Settings → API Keys",
	Playbook: "sendgrid-key-compromise",
	Sample:   "SG.keyirSampleKeyId000000.keyirSampleSecretxxxxxxxxxxxxxxxxxxxxxxxxxx",
}

func init() {
	sub, err := fs.Sub(playbookFS, "playbooks")
	if err != nil {
		panic(err)
	}
	var scenarios []provider.Scenario
	for _, sc := range sendgridsim.Scenarios() {
		scenarios = append(scenarios, provider.Scenario{
			Name: sc.Name, Description: sc.Description, Playbook: "sendgrid-key-compromise",
			Truth: truthOf(sc), World: drillWorld(sc),
		})
	}
	// Its actions, each declared beside its type (<verb>Info), in the
	// order its playbook runs them.
	actions.Register(identifyKeyInfo, locateKeyInfo, keyLivenessInfo, snapshotKeyInfo,
		revokeKeyInfo, confirmRevokedInfo, rotateKeyInfo, activityInfo, statsInfo,
		persistenceInfo, inventoryInfo, eradicateInfo)
	provider.Register(provider.Provider{
		Name:      ProviderName,
		Title:     "SendGrid",
		Keys:      []*provider.KeyKind{APIKey},
		Playbooks: sub,
		Simulators: []provider.Simulator{{
			Name:  "sendgrid",
			Usage: "serve the simulated SendGrid v3 API loaded with a drill scenario",
			Flags: []provider.Flag{
				{Name: "listen", Value: "127.0.0.1:8025", EnvVar: "KEYIR_SIM_LISTEN", Usage: "address of the global host (loopback)"},
				{Name: "listen-eu", Value: "127.0.0.1:8027", EnvVar: "KEYIR_SIM_LISTEN_EU", Usage: "address of the EU host (loopback); with --listen 127.0.0.1:0 the default is a free port too"},
				{Name: "scenario", Value: "spam-burst", EnvVar: "KEYIR_SCENARIO", Usage: "scenario to load (keyir drill --list)"},
			},
			Start: startSim,
		}},
		Scenarios: scenarios,
		Doctor: &provider.Doctor{
			Credential: "the responder key (SENDGRID_API_KEY)",
			Needs:      RequiredScopes,
			Check:      Doctor,
			Notes:      doctorNotes,
		},
		Eradicator: eradicator,
	})
}

// startSim is `keyir sim sendgrid`.
func startSim(o provider.SimOptions, out io.Writer) (func(context.Context, io.Writer) error, error) {
	so := sendgridsim.StandaloneOptions{Listen: o.String("listen"), Scenario: o.String("scenario")}
	if o.IsSet("listen-eu") {
		so.ListenEU = o.String("listen-eu")
	}
	return sendgridsim.Standalone(so, out)
}

// truthOf is a scenario's ground truth: the simulator builds a scenario the
// same way for the same instant, so this is the truth of the world a drill
// built then.
func truthOf(sc sendgridsim.Scenario) func(time.Time) provider.Truth {
	return func(built time.Time) provider.Truth {
		fx := sc.Build(built)
		return provider.TruthFrom(fx.Containment, fx.ExitCode, fx.Expected)
	}
}

// doctorNotes are what doctor says beyond the scopes.
func doctorNotes(actionNames []string) []string {
	if slices.Contains(actionNames, "sendgrid.persistence") {
		// Only scopes SendGrid can grant are required: none is published
		// for reading verified senders.
		return []string{"SendGrid publishes no scope for reading verified senders; if the key cannot read them, the persistence step says so (not assessable)"}
	}
	return nil
}
