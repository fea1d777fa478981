package sendgrid

import "fmt"

import "testing"
import "time"

import "github.com/keyir/keyir/actions"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// TestRevokeListPacesByRoute: 250 revocations of distinct ids, 8 at a time,
// under SendGrid's per-endpoint limit of 100 per second. Every DELETE
// /v3/api_keys/{id} spends the one window of that route, so the client
// paces them by the route template and none draws 429; keyed by the
// concrete path, as before, each id was a window of its own and the
// workers ran into the limit.
func TestRevokeListPacesByRoute(t *testing.T) {
	f, env, ids := limitedKeys(t, 250)
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_ids": ids, "concurrency": 8})
	if err != nil || len(out["revoked"].([]string)) != len(ids) {
		t.Fatalf("revoked %v of %d: %v", out["revoked"], len(ids), err)
	}
	n429, perWindow := 0, map[int64]int{}
	for _, r := range f.srv.Requests() {
		if r.Method != "DELETE" {
			continue
		}
		perWindow[r.Time.Truncate(time.Second).Unix()]++
		if r.Status == 429 {
			n429++
		}
	}
	if n429 != 0 {
		t.Errorf("%d DELETEs answered 429, want 0 (per window: %v)", n429, perWindow)
	}
}

// limitedKeys is a simulator holding n keys besides the fixture's, with
// DELETE /v3/api_keys/{api_key_id} limited to 100 a second, and a live
// environment against it.
func limitedKeys(tb testing.TB, n int) (*fixture, *actions.Env, []string) {
	f := newFixture(tb, func(c *sendgridsim.Config) {
		c.Limits["DELETE /v3/api_keys/{api_key_id}"] = sendgridsim.Limit{Requests: 100, Window: time.Second}
	})
	ids := make([]string, n)
	for i := range ids {
		k := sendgridsim.NewKey(f.rng, fmt.Sprint("k", i), nil)
		f.st.AddKey(k)
		ids[i] = k.ID
	}
	env, _ := f.env(report.ModeLive)
	env.Recorder = discard{}
	return f, env, ids
}
