package ghtoken

import "embed"
import "io/fs"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"

// The built-in playbook notifies with notify.all: linking this package
// is all a program needs for the playbook to load and run.
import _ "github.com/keyir/keyir/actions/notifystep"

// playbookFS holds the GitHub playbooks keyir ships, <name>.yaml each.
//
//go:embed playbooks/*.yaml
var playbookFS embed.FS

func init() {
	sub, err := fs.Sub(playbookFS, "playbooks")
	if err != nil {
		panic(err)
	}
	// Every github.* action reads the responder's token (the assessment
	// steps) and talks to GitHub's API (GITHUB_API_URL redirects it).
	actions.DeclareReach("github", actions.Reach{
		Credentials: []string{EnvToken},
		Hosts:       []string{strings.TrimPrefix(DotComURL, "https://")},
	})
	// Its actions, each declared beside its type (<verb>Info), in the
	// order its playbook runs them, then the eradication's.
	actions.Register(identifyTokenInfo, tokenLivenessInfo, snapshotTokenInfo, revokeTokenInfo,
		confirmRevokedInfo, activityInfo, persistenceInfo, eradicateInfo)
	provider.Register(provider.Provider{
		Name:       ProviderName,
		Title:      "GitHub",
		Keys:       Kinds,
		Playbooks:  sub,
		Simulators: simulators(),
		Scenarios:  scenarios(),
		Doctor:     doctor,
		Eradicator: eradicator,
	})
}
