// Package webhook posts each incident event as signed JSON to a URL the
// organisation controls (a SOAR, a ticketing bridge, an audit log).
//
// # Request
//
//	POST <url>
//	Content-Type: application/json
//	X-Keyir-Event: opened | progress | closed
//	X-Keyir-Delivery: <run id>-<event>-<n>   (the same on every retry: de-duplicate on it)
//	X-Keyir-Timestamp: <unix seconds>
//	X-Keyir-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
//
// The secret comes from KEYIR_WEBHOOK_SECRET (or KEYIR_WEBHOOK_SECRET_FILE;
// Config.SecretEnv renames it), at least 16 characters. Any 2xx is success;
// 408, 429 (honouring Retry-After) and 5xx are retried with backoff, each
// attempt signed with a fresh timestamp; anything else is a permanent failure.
// Every string has been through the run's redactor: the leaked key is
// named by id and fingerprint, never by its secret.
//
// # Payload (version "1")
//
//	{
//	  "version": "1",
//	  "event": "closed",
//	  "time": "2026-03-01T09:31:35Z",
//	  "label": "DRY RUN",                     // "DRY RUN", "DRILL", or absent for a live run
//	  "run_id": "run-7f3a",
//	  "incident": "INC-42",
//	  "playbook": "sendgrid-key-compromise",
//	  "mode": "dry-run",                      // live | dry-run | drill
//	  "operator": "alice",
//	  "key": {"id": "AbCdEfGhIjKlMnOpQrStUv", "name": "prod mailer", "type": "full access", "fingerprint": "3c9a1f0e"},
//	  "status": "degraded",                   // running | succeeded | degraded | failed | interrupted
//	  "exit_code": 3,
//	  "containment": {"status": "confirmed", "detail": "key answered 401 after 3 polls",
//	                  "time_to_containment_ns": 42000000000, "at": "2026-03-01T09:30:42Z"},
//	                  // status: confirmed | not-confirmed | revoked_unproven (id only: revoked,
//	                  // nothing proves the key dead; no time_to_containment_ns) | not_found
//	                  // (no account holds the id) | planned (dry run)
//	  "finding_counts": {"critical": 1, "high": 1},
//	  "steps": [{"index": 2, "id": "revoke", "action": "sendgrid.revoke_key", "status": "ok",
//	             "mutates": true, "duration_ms": 1200}],
//	  "findings": [{"kind": "key.full_access", "subject": "AbCdEfGhIjKlMnOpQrStUv", "severity": "critical",
//	                "title": "Key had full access", "step": "identify"}],
//	  "manifest_head": "sha256:9f86…",
//	  "run_dir": "/var/lib/keyir/reports/20260102T030405Z_INC-42_3f9c2a1b7d4e",
//	  "text": "Incident closed; see the thread."  // the playbook step's message, when it gave one
//	}
//
// # Verifying a delivery (Go)
//
//	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//	if err != nil { http.Error(w, "too large", http.StatusRequestEntityTooLarge); return }
//	err = webhook.Verify(secret, r.Header.Get("X-Keyir-Timestamp"), r.Header.Get("X-Keyir-Signature"),
//		body, time.Now(), 5*time.Minute)
//	if err != nil { http.Error(w, "bad signature", http.StatusUnauthorized); return }
//	// only now parse body, and de-duplicate on X-Keyir-Delivery
//
// In another language: compute HMAC-SHA256 over the timestamp header, a ".",
// and the raw body bytes; hex-encode; compare to the value after "v1=" in
// constant time; reject timestamps more than five minutes from your clock.
package webhook
