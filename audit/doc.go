// Package audit is `keyir audit`: the best-practice posture of a SendGrid
// account, checked before anything leaks. Read (read.go) gathers what the
// checks need with the responder key, GET only; the checks (checks_*.go) are
// pure functions over that Snapshot, so each is tested on purpose-built
// states; the renderers (render.go, html.go) draw the Results.
//
// Every check has a stable id, the practice it serves (as SendGrid's API-key
// best practices name them), a severity, and for each subject a status: pass,
// fail, or not_assessable with the reason (a missing scope, a missing add-on,
// no baseline given).
//
// # Endpoints read
//
// Only these, each an operation of the official spec (TestEndpointsInSpec
// checks the list against the spec files):
//
//	GET /v3/scopes
//	GET /v3/subusers
//	GET /v3/api_keys
//	GET /v3/api_keys/{api_key_id}
//	GET /v3/messages
//	GET /v3/access_settings/whitelist
//	GET /v3/access_settings/activity
//	GET /v3/user/webhooks/event/settings/all
//	GET /v3/user/webhooks/parse/settings
//	GET /v3/mail_settings/forward_bounce
//	GET /v3/mail_settings/forward_spam
//	GET /v3/alerts
//	GET /v3/teammates
//	GET /v3/teammates/pending
package audit

// Endpoints is the list above, for the test that ties it to the spec.
var Endpoints = []string{
	"GET /v3/scopes",
	"GET /v3/subusers",
	"GET /v3/api_keys",
	"GET /v3/api_keys/{api_key_id}",
	"GET /v3/messages",
	"GET /v3/access_settings/whitelist",
	"GET /v3/access_settings/activity",
	"GET /v3/user/webhooks/event/settings/all",
	"GET /v3/user/webhooks/parse/settings",
	"GET /v3/mail_settings/forward_bounce",
	"GET /v3/mail_settings/forward_spam",
	"GET /v3/alerts",
	"GET /v3/teammates",
	"GET /v3/teammates/pending",
}
