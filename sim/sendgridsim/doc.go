// Package sendgridsim is keyir's built-in simulator of the SendGrid v3 Web API: product code
// used by `keyir drill`, `keyir sim sendgrid` and the tests.
//
// # What it models
//
// A State holds one parent account and its subusers: API keys (live and revoked), teammates
// and pending invites, Email Activity messages, daily stats, bounce and spam-report
// suppressions, IP access activity and the IP allow list, event webhooks, inbound parse hosts,
// forward_bounce / forward_spam settings, alerts, verified senders, and the mail accepted by
// mail send (State.Outbox). Server serves it over HTTP with the behaviour keyir depends on
// (see /work/shared/SENDGRID.md, which wins over the OpenAPI spec where they disagree):
//
//   - Authentication with "Authorization: Bearer SG.<id>.<secret>". An unknown, malformed or
//     revoked key gets 401 {"errors":[{"field":null,"message":"authorization required"}]}; a
//     revoked key keeps authenticating for Config.PropagationDelay after its RevokedAt.
//   - One scope per route (table below); a missing scope gets 403 "access forbidden".
//     GET /v3/scopes works for any live key and returns its own scopes.
//   - Two hosts, as SendGrid has: Server itself is the global host (https://api.sendgrid.com)
//     and Server.EU() the EU host (https://api.eu.sendgrid.com), over one State. An account's
//     data is served by its region's host: an EU regional subuser's keys, and calls on its
//     behalf, authenticate only on the EU host; the parent's and global subusers' only on the
//     global host. Elsewhere the answer is 401 "authorization required". Operations whose
//     spec lists no EU server (GET /v3/messages) are unknown paths (404) on the EU host.
//   - "on-behalf-of: <subuser>" acts within that subuser (keys, stats, teammates, settings…)
//     only on the operations whose spec declares the header. Elsewhere it is ignored like any
//     unknown header, so the call gets the key's own account's data (GET /v3/verified_senders,
//     GET /v3/messages, GET /v3/subusers). An unknown subuser, or the header sent with a
//     subuser's own key, gets 403 "access forbidden"; on POST /v3/mail/send the header gets
//     400 (SENDGRID.md).
//   - Query parameters the spec does not declare for the operation are ignored (offset on
//     GET /v3/verified_senders, which pages by limit + lastSeenID). A limit outside the
//     documented bounds is a 400 where the spec gives a maximum (messages 1..1000,
//     teammates 0..500, bounces and spam reports 1..500).
//   - GET /v3/subusers returns region only with include_region=true, filters by region
//     (all, global, eu) and pages by limit/offset (SubusersPageSize rows without limit).
//   - POST /v3/api_keys without scopes creates a full-access key (FullAccessScopes).
//   - GET /v3/messages returns its matches in no reliable order (shuffled, the same way for
//     the same seed and request), then cuts them at limit: the spec promises no order.
//   - Fixed-window rate limits per key (as named by the token) and route, counted before
//     authentication. Every non-mail response carries X-Ratelimit-Limit, -Remaining and -Reset
//     (unix seconds), spelled that way on the wire; past the limit: 429 "too many requests",
//     no Retry-After.
//   - Unknown path: 404 errors body; known path, other method: 405 errors body.
//   - Injected faults (Server.InjectFault): a status, a hang until the client gives up
//     (timeout), a TCP reset, a truncated body, or added latency; matched by method and route,
//     with After/Times counting.
//   - Every request is recorded (Server.Requests, Server.Count, with the Host it reached);
//     ids come from a generator seeded by Config.Seed and time from Config.Now, so runs are
//     reproducible.
//
// # Starting it in a test
//
//	srv := sgsim.New(st, cfg)
//	hosts, err := sgsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
//	defer hosts.Shutdown(ctx)
//	env := hosts.Env() // SENDGRID_API_URL=hosts.URL, SENDGRID_API_URL_EU=hosts.EUURL
//
// or Listen(addr, srv) and Listen(addr, srv.EU()) separately (httptest.NewServer works too).
// An EU regional subuser is State.AddSubuser(Subuser{Username: "shop-eu", Region: RegionEU});
// give its keys Key.Subuser = "shop-eu".
// keyir reads the global base URL from SENDGRID_API_URL (EnvURL) and the EU one from
// SENDGRID_API_URL_EU (EnvURLEU). Server.Authenticates(id) answers "does this key still
// authenticate anywhere, now?" (counting Config.PropagationDelay after revocation);
// Server.AuthenticatesOn(region, id) asks about one host.
//
// # The request contract
//
// Under `go test` (testing.Testing) every request is checked against the official spec's
// declaration of its operation: each query parameter and header (beyond HTTP's own:
// Authorization, Accept, Content-Type, User-Agent, …) must be declared, the operation must
// exist on that host, and, once the contract sub-package is installed (contract.Install or
// contract.RunMain), libopenapi-validator's strict request validation must pass (required
// parameters, types, bodies). Departures are recorded as Violations (Server.ContractViolations,
// and process-wide ContractViolations); they never change the simulator's answer. A package
// whose tests drive the simulator fails on them with
//
//	func TestMain(m *testing.M) { os.Exit(contract.RunMain(m)) }
//
// RunMain also collects the violations of simulators in subprocesses it starts (the test
// binary run as keyir), through the file named by KEYIR_SIM_CONTRACT_LOG.
//
// SetRequestChecking turns the check off (or on outside tests).
//
// # Routes and scopes
//
// The spec declares on-behalf-of on every route below except GET /v3/messages,
// GET /v3/subusers, GET /v3/verified_senders and POST /v3/mail/send; the EU host serves every
// route except GET /v3/messages. Routes() lists each route's declared query parameters and
// headers as the simulator honours them.
//
//	GET    /v3/scopes                             (any live key)
//	GET    /v3/api_keys                           api_keys.read
//	POST   /v3/api_keys                           api_keys.create
//	GET    /v3/api_keys/{api_key_id}              api_keys.read
//	DELETE /v3/api_keys/{api_key_id}              api_keys.delete
//	GET    /v3/messages                           email_activity.read
//	GET    /v3/stats                              stats.read
//	GET    /v3/teammates                          teammates.read
//	GET    /v3/teammates/pending                  teammates.read
//	GET    /v3/access_settings/activity           access_settings.activity.read
//	GET    /v3/access_settings/whitelist          access_settings.whitelist.read
//	GET    /v3/subusers                           subusers.read
//	GET    /v3/user/webhooks/event/settings/all   user.webhooks.event.settings.read
//	GET    /v3/user/webhooks/parse/settings       user.webhooks.parse.settings.read
//	GET    /v3/mail_settings/forward_bounce       mail_settings.forward_bounce.read
//	GET    /v3/mail_settings/forward_spam         mail_settings.forward_spam.read
//	GET    /v3/alerts                             alerts.read
//	GET    /v3/suppression/bounces                suppression.bounces.read
//	GET    /v3/suppression/spam_reports           suppression.spam_reports.read
//	GET    /v3/verified_senders                   verified_senders.read
//	POST   /v3/mail/send                          mail.send
//
// The writes `keyir audit`'s tests build an account's posture with (audit_routes.go; the
// scope names are the permission list's, create/update/delete):
//
//	POST   /v3/access_settings/whitelist                     access_settings.whitelist.create
//	DELETE /v3/access_settings/whitelist/{rule_id}           access_settings.whitelist.delete
//	POST   /v3/user/webhooks/event/settings                  user.webhooks.event.settings.create
//	PATCH  /v3/user/webhooks/event/settings/{id}             user.webhooks.event.settings.update
//	PATCH  /v3/user/webhooks/event/settings/signed/{id}      user.webhooks.event.settings.update
//	POST   /v3/user/webhooks/parse/settings                  user.webhooks.parse.settings.create
//	PATCH  /v3/mail_settings/forward_bounce                  mail_settings.forward_bounce.update
//	PATCH  /v3/mail_settings/forward_spam                    mail_settings.forward_spam.update
//	POST   /v3/teammates                                     teammates.create
//	POST   /v3/alerts                                        alerts.create
//	DELETE /v3/alerts/{alert_id}                             alerts.delete
//
// A signed event webhook lists its public_key in GET …/settings/all; an invitation expires
// InviteLifetime (7 days) after it is sent. AuditScenarios (well-kept, poor-hygiene) carry
// the check ids an audit must fail.
//
// The names are SendGrid's permission names (API Key Permissions list), with two notes:
// Email Activity is "email_activity.read" there (not "messages.read"), and the permissions
// list names no verified-senders read scope, so "verified_senders.read" is the simulator's
// choice. A key is full access when it carries user.email.read (FullAccessScopes gives a
// representative set).
//
// # Known differences from the live API
//
//   - GET /v3/api_keys/{id} answers the flat {"api_key_id","name","scopes"} the live API
//     sends; the spec wraps it in "result".
//   - GET /v3/messages: only the query subset described at Query; no pagination (as live);
//     limit outside 1..1000 is a 400; a missing query matches everything (the spec requires
//     it: the request contract flags it). Without the add-on it answers 400
//     {"errors":[{"message":"authorization required"}]} (the live API has also been seen to
//     answer 401). api_key_id is queryable but not returned in the list (as the spec).
//   - GET /v3/stats: aggregated_by day, week (Monday-based) and month; limit/offset ignored.
//   - POST /v3/api_keys: omitted scopes make a full-access key (spec); a listed scope the
//     creator lacks is a 400; more than MaxKeys live keys per account is a 403.
//   - POST /v3/mail/send validates only personalizations[].to[].email, from.email, subject
//     and content (or template_id); accepted mail goes to State.Outbox, not to Email Activity.
//     Sandbox mode answers 200 with an empty body (SendGrid docs, Sandbox Mode).
//   - Rate limits are counted before authentication, per token id ("anonymous" when the
//     token is malformed); the live API's exact limits per route are not published.
//   - Error bodies carry no "id" and no "help".
//   - Config.OnResponse does not see injected faults.
//
// The contract sub-package validates every response against the official OpenAPI 3.1 spec
// in testdata/sendgrid-oai, with one documented allow-list for the places the spec is wrong
// or silent.
package sendgridsim
