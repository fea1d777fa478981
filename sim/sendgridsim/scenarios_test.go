package sendgridsim_test

import "net/url"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

// TestScenarioGroundTruth checks what each scenario promises about itself, through the
// simulator's own HTTP API, so a drill's ground truth rests on facts, not on a label.
func TestScenarioGroundTruth(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, sc := range sendgridsim.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			fx := sc.Build(now)
			if fx.Attack != nil {
				fx.Attack(fx.State)
			}
			id, _, ok := sendgridsim.ParseToken(fx.LeakedKey)
			if !ok || id != fx.LeakedKeyID {
				t.Fatalf("LeakedKeyID %q does not name LeakedKey", fx.LeakedKeyID)
			}
			if len(fx.Expected) == 0 || fx.Containment == "" {
				t.Fatalf("no ground truth: expected %v, containment %q", fx.Expected, fx.Containment)
			}
			if again := sc.Build(now); again.LeakedKey != fx.LeakedKey || again.ResponderKey != fx.ResponderKey {
				t.Fatal("the scenario is not deterministic: a resumed drill could not rebuild it")
			}
			srv := sendgridsim.New(fx.State, sendgridsim.DefaultConfig())
			global, eu := serve(t, srv), serve(t, srv.EU())
			k, _ := fx.State.Key(fx.LeakedKeyID)
			region := fx.State.RegionOf(k.Subuser)
			home, away := global, eu
			if region == sendgridsim.RegionEU {
				home, away = eu, global
			}
			wantLive := 200
			if sc.Name == "already-revoked" {
				wantLive = 401
			}
			if r := do(t, hc, home, "GET", "/v3/scopes", fx.LeakedKey, ""); r.status != wantLive {
				t.Errorf("leaked key on its host: %d, want %d", r.status, wantLive)
			}
			if r := do(t, hc, away, "GET", "/v3/scopes", fx.LeakedKey, ""); r.status != 401 {
				t.Errorf("leaked key on the other host: %d", r.status)
			}
			// The parent's view of the key's id.
			parent := do(t, hc, global, "GET", "/v3/api_keys/"+fx.LeakedKeyID, fx.ResponderKey, "")
			switch sc.Name {
			case "subuser-key", "eu-subuser":
				if k.Subuser == "" || parent.status != 404 {
					t.Fatalf("the key must live in a subuser the parent cannot see: subuser %q, parent GET %d", k.Subuser, parent.status)
				}
				if r := do(t, hc, home, "GET", "/v3/api_keys/"+fx.LeakedKeyID, fx.ResponderKey, "", "On-Behalf-Of", k.Subuser); r.status != 200 {
					t.Fatalf("on behalf of %s on its host: %d %s", k.Subuser, r.status, r.body)
				}
				if r := do(t, hc, away, "GET", "/v3/api_keys/"+fx.LeakedKeyID, fx.ResponderKey, "", "On-Behalf-Of", k.Subuser); r.status == 200 {
					t.Fatal("found on the wrong host")
				}
				// Email Activity cannot tell: the parent's search by the key's id finds nothing.
				q := url.QueryEscape(`api_key_id="` + fx.LeakedKeyID + `"`)
				r := do(t, hc, global, "GET", "/v3/messages?limit=1000&query="+q, fx.ResponderKey, "", "On-Behalf-Of", k.Subuser)
				if r.status != 200 || strings.Contains(string(r.body), "msg_id") {
					t.Fatalf("the parent's Email Activity shows the subuser's mail: %d %.200s", r.status, r.body)
				}
				if sc.Name == "eu-subuser" && region != sendgridsim.RegionEU {
					t.Fatal("eu-subuser's key is not in an EU subuser")
				}
			case "id-only":
				if !fx.IDOnly || fx.Containment != "revoked_unproven" || fx.ExitCode != 0 {
					t.Fatalf("id-only: IDOnly %v, containment %q, exit %d", fx.IDOnly, fx.Containment, fx.ExitCode)
				}
			default:
				if k.Subuser != "" || fx.IDOnly || fx.Containment != "confirmed" {
					t.Fatalf("subuser %q, IDOnly %v, containment %q", k.Subuser, fx.IDOnly, fx.Containment)
				}
			}
			if sc.Name != "id-only" && fx.IDOnly {
				t.Fatal("only id-only hides the key")
			}
			if !srv.Authenticates(fx.LeakedKeyID) != (wantLive == 401) {
				t.Fatal("Authenticates disagrees with the hosts")
			}
		})
	}
}
