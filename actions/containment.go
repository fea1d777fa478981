package actions

import "time"

// A containment step (Info.Contains) is one of two kinds, whatever the
// provider: a revoke, which changes the provider's state so the leaked
// credential stops working, and a confirm, which changes nothing and asks
// the provider, with the leaked credential itself, until it is refused.
// Each provider declares its revoke and confirm steps with these two
// constructors, so what makes a step containment, whether it mutates and
// what a confirm returns are decided here once, not in each declaration.

// RevokeInfo declares a revoke step: a containment step that mutates (a
// dry run refuses its requests at the transport, so outputs list
// PlannedOutput where the step says so).
func RevokeInfo(name, summary string, newAction func() Action, outputs []Output) Info {
	return Info{Name: name, Summary: summary, Mutates: true, Contains: true, Outputs: outputs, New: newAction}
}

// ConfirmInfo declares a confirm step: a containment step that changes
// nothing (it polls, see Poll) and returns ContainmentOutputs, which a
// playbook's later steps read by the same names whichever provider's
// confirm ran, then the provider's own extra outputs.
func ConfirmInfo(name, summary string, newAction func() Action, extra ...Output) Info {
	return Info{Name: name, Summary: summary, Contains: true, Outputs: OutputList(ContainmentOutputs, extra), New: newAction}
}

// ConfirmPoll are the bounds a confirm polls within unless its provider
// sets its own (Slack's are tighter): five minutes, a first wait of 5s
// growing to at most 30s.
var ConfirmPoll = Poll{Timeout: 5 * time.Minute, Interval: 5 * time.Second, MaxInterval: 30 * time.Second}

// poller is a confirm step's action: a struct embedding Poll (which brings
// setPoll), used through its pointer.
type poller[T any] interface {
	*T
	Action
	setPoll(Poll)
}

// setPoll gives a new confirm its bounds (promoted to each provider's
// confirm through the embedded Poll).
func (p *Poll) setPoll(bounds Poll) { *p = bounds }

// ConfirmOf declares the confirm step whose action is T, a struct that
// embeds Poll: each run gets a fresh T polling within bounds, which are
// also the defaults `keyir actions` shows for its poll parameters.
func ConfirmOf[T any, A poller[T]](name, summary string, bounds Poll, extra ...Output) Info {
	return ConfirmInfo(name, summary, func() Action {
		a := A(new(T))
		a.setPoll(bounds)
		return a
	}, extra...)
}

// KindRefusedBeforeRevoke is the finding of a credential the provider
// refused before keyir's revocation with an answer that does not say it is
// dead (GitHub's 401 "Bad credentials", Slack's invalid_auth): the same
// answer goes to one another server or workspace issued. Refused there,
// which is not proof it was revoked; the confirm step settles it
// (SeenAccepted).
const KindRefusedBeforeRevoke = "token.refused_before_revoke"
