package sendgrid

import "strings"

import "github.com/keyir/keyir/actions"

// Every sendgrid.* action reads the responder's key and talks to the
// region's API host (SENDGRID_API_URL and SENDGRID_API_URL_EU redirect them
// to a simulator or proxy): declared once, for the run's plan.
func init() {
	actions.DeclareReach("sendgrid", actions.Reach{
		Credentials: []string{EnvAPIKey},
		Hosts:       []string{strings.TrimPrefix(GlobalURL, "https://"), strings.TrimPrefix(EUURL, "https://")},
	})
}
