package sendgrid

import "context"
import "fmt"
import "strconv"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/runstore"

// parentAccount is the account the parent run's persistence step found its
// footholds in (its account output); ok is
// false when no step of the parent read it (an older run, or a responder
// key without user.username.read).
func parentAccount(dir string) (BaselineAccount, bool, error) {
	rep, err := runstore.Load(dir)
	if err != nil {
		return BaselineAccount{}, false, err
	}
	for _, s := range rep.Steps {
		if s.Action != persistenceInfo.Name {
			continue
		}
		m, _ := s.Outputs["account"].(map[string]any)
		name, _ := m["username"].(string)
		id, _ := m["user_id"].(string)
		n, _ := strconv.ParseInt(id, 10, 64)
		if a := (BaselineAccount{Username: name, UserID: n}); a.known() {
			return a, true, nil
		}
	}
	return BaselineAccount{}, false, nil
}

// checkParentAccount refuses an eradication whose responder key belongs to
// another account than the one the parent run assessed: there the plan's
// ids name other resources (removed, or a 404 read as "already gone" while
// the footholds stay open where they were found). It fails only on a
// proven difference; one it cannot check is noted.
func checkParentAccount(ctx context.Context, env *actions.Env, c *Client, parent string) error {
	then, ok, err := parentAccount(parent)
	if err != nil {
		return err
	}
	if !ok {
		note(env, "the parent run recorded no account (GET /v3/user/username), so this eradication cannot check that SENDGRID_API_KEY belongs to the account it assessed")
		return nil
	}
	now := readAccountIdentity(ctx, c)
	if !now.known() {
		note(env, "SENDGRID_API_KEY's account could not be read ("+now.Unread+"), so this eradication cannot check that it is the account the parent run assessed, "+then.String())
		return nil
	}
	if !sameAccount(then, now) {
		return fmt.Errorf("the plan's footholds were found in %s, but SENDGRID_API_KEY belongs to %s: nothing was sent; eradicate with a key of the account the run assessed", then, now)
	}
	return nil
}

// outputs is the account as the persistence step records it: one output,
// a mapping of its username and user_id, empty when the account was not
// read.
func (a BaselineAccount) outputs() map[string]string {
	if !a.known() {
		return map[string]string{}
	}
	return map[string]string{"username": a.Username, "user_id": strconv.FormatInt(a.UserID, 10)}
}
