package htmlreport

import "strings"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// volumeCaption names whose daily statistics the volume charts draw: the
// provider of the step that produced them (its actions are named
// "<provider>.<verb>"), so a run of several keys, or another provider's
// statistics step, is not captioned as SendGrid's. A step of no registered
// provider (a user's playbook calling core.http) gets a caption naming the
// step instead.
func volumeCaption(s report.Step) string {
	if name, _, ok := strings.Cut(s.Action, "."); ok {
		// keyir's own actions (core.*) belong to a provider of no key.
		if p, ok := provider.Lookup(name); ok && p.Title != "" && len(p.Keys) > 0 {
			return "Daily " + p.Title + " statistics (step " + s.ID + ")"
		}
	}
	return "Daily statistics of step " + s.ID
}
