package audit

import "fmt"
import "slices"
import "strings"
import "time"

func checkTeamAdmin(s *Snapshot, a *Account) []Result {
	var out []Result
	if a.TeammatesGap != "" {
		out = append(out, na(a.TeammatesGap)...)
	}
	if a.PendingGap != "" {
		out = append(out, na(a.PendingGap)...)
	}
	if len(out) == 2 {
		return out[:1]
	}
	var fails []Result
	for _, t := range a.Teammates {
		if t.IsAdmin && t.UserType != "owner" {
			fails = append(fails, fail("teammate "+t.Username, fmt.Sprintf("%s <%s> is an admin: every scope, teammates and keys included", t.Username, t.Email), "GET /v3/teammates: is_admin=true user_type="+t.UserType))
		}
	}
	for _, p := range a.Pending {
		if p.IsAdmin {
			fails = append(fails, fail("invite to "+p.Email, "a pending invitation grants admin rights", "GET /v3/teammates/pending: is_admin=true"))
		}
	}
	if len(fails) > 0 {
		return fails
	}
	if len(out) > 0 {
		return out
	}
	return []Result{pass(fmt.Sprintf("only the owner is an admin (%d teammates, %d invites)", len(a.Teammates), len(a.Pending)))}
}

// An invitation expires 7 days after it was sent, so one whose expiration
// date has passed has been pending for more than a week.
func checkStaleInvites(s *Snapshot, a *Account) []Result {
	if a.PendingGap != "" {
		return na(a.PendingGap)
	}
	var fails []Result
	for _, p := range a.Pending {
		if !p.Expires.IsZero() && p.Expires.Before(s.Now) {
			fails = append(fails, fail("invite to "+p.Email, fmt.Sprintf("the invitation was sent more than a week ago (it expired %s) and is still pending", p.Expires.Format("2006-01-02")), "GET /v3/teammates/pending: expiration_date "+p.Expires.Format(time.RFC3339)))
		}
	}
	return orPass(fails, fmt.Sprintf("%d pending invitations, none older than a week", len(a.Pending)))
}

// check2FA: the official spec's teammate reads carry no two-factor field
// (only the SSO teammate writes have 2fa_exempt), so it cannot be judged.
func check2FA(s *Snapshot, a *Account) []Result {
	if a.Subuser != "" {
		return nil
	}
	return na("the API shows no teammate's two-factor status (GET /v3/teammates has no such field); check Settings > Teammates by hand")
}

// checkDrift compares the account with the newest baseline: keys (added,
// removed, renamed or re-scoped) and, for the parent account, every
// persistence surface the baseline captured.
func checkDrift(s *Snapshot, a *Account) []Result {
	if len(s.Baselines) == 0 {
		return na("no --baseline given")
	}
	b := s.Baselines[0]
	for _, x := range s.Baselines[1:] {
		if x.TakenAt.After(b.TakenAt) {
			b = x
		}
	}
	since := fmt.Sprintf("since the baseline of %s", b.TakenAt.Format(time.RFC3339))
	ev := "baseline " + b.Path
	var fails, out []Result
	if a.KeysGap != "" {
		out = append(out, Result{Status: NotAssessable, Subject: "keys", Detail: "not assessable: " + string(a.KeysGap)})
	} else {
		old := map[string]BaselineKey{}
		for _, k := range b.Keys {
			if k.Subuser == a.Subuser {
				old[k.ID] = k
			}
		}
		for _, k := range a.Keys {
			o, ok := old[k.ID]
			delete(old, k.ID)
			switch {
			case !ok:
				fails = append(fails, fail(keySubject(k)+" added", "the key was created "+since, ev))
			case o.Name != k.Name || !sameSet(o.Scopes, k.Scopes):
				fails = append(fails, fail(keySubject(k)+" changed", fmt.Sprintf("the key's name or scopes changed %s (%d scopes then, %d now)", since, len(o.Scopes), len(k.Scopes)), ev))
			}
		}
		for _, id := range sortedKeys(old) {
			fails = append(fails, fail(fmt.Sprintf("key %s %q removed", id, old[id].Name), "the key was deleted "+since, ev))
		}
	}
	if a.Subuser == "" {
		for _, name := range sortedKeys(b.Surfaces) {
			if g, ok := a.SurfaceGaps[name]; ok {
				out = append(out, Result{Status: NotAssessable, Subject: name, Detail: "not assessable: " + string(g)})
				continue
			}
			cur, ok := a.Surfaces[name]
			if !ok {
				continue
			}
			then := b.Surfaces[name]
			for _, it := range cur {
				if !slices.Contains(then, it) {
					fails = append(fails, fail(name+" "+it+" added", strings.ReplaceAll(name, "_", " ")+" gained an item "+since, ev))
				}
			}
			for _, it := range then {
				if !slices.Contains(cur, it) {
					fails = append(fails, fail(name+" "+it+" removed", strings.ReplaceAll(name, "_", " ")+" lost an item "+since, ev))
				}
			}
		}
	}
	if len(fails) > 0 {
		return append(fails, out...)
	}
	return append([]Result{pass("nothing added, changed or removed "+since, ev)}, out...)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
