// Package githubsim is a simulated GitHub REST API over real HTTP on
// loopback, for drills, `keyir sim github` and tests. It is as strict as
// GitHub's documentation and REST description, never kinder:
//
//   - tokens of every kind (tokenfmt): a classic PAT or OAuth token answers
//     with X-OAuth-Scopes, a fine-grained PAT never does, a token with an
//     expiry carries GitHub-Authentication-Token-Expiration; an installation
//     token gets 403 on GET /user while live, a refresh token 401 everywhere;
//   - POST /credentials/revoke: anonymous on github.com (403 with an
//     Authorization header), 1 to 1,000 credentials, 202 with no word on any
//     of them, 422 on a bad body, 60 requests an hour per address (429 with
//     Retry-After); a revoked token keeps working for Config.PropagationDelay,
//     so only its own 401 proves it dead;
//   - Enterprise Server mode: the API under /api/v3, the revocation
//     authenticated and for ghp_ and github_pat_ only; a token of one host is
//     unknown on the other (401);
//   - the responder's reads: the organization audit log searched by
//     phrase (hashed_token, action, actor, repo, user, created ranges) with
//     cursor pages, SSH keys, deploy keys, webhooks, invitations, app
//     installations and SAML credential authorizations, with GitHub's
//     scope and owner rules (a repository a token may not see is a 404);
//   - rate limits with X-RateLimit-Limit/Remaining/Reset/Used/Resource, and
//     injected faults (5xx, secondary limits with Retry-After, resets,
//     truncation, latency).
//
// Choices where GitHub documents nothing (unverified): unknown audit-log
// qualifiers match nothing; DELETE /installation/token with another kind of
// token is 403; a spent primary limit is 403.
package githubsim
