package sendgrid

import "github.com/keyir/keyir/actions"

// newAccountClient is the responder's client acting for one account on its
// region's host. An assessment or a change about the leaked key is made in
// the account that holds it, so every such step starts here rather than
// from the parent's client (one place for "the responder, in that account").
func newAccountClient(env *actions.Env, a Account) (*Client, error) {
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	return c.forAccount(a)
}
