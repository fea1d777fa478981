package actions

// Reader is implemented by an action that only reads: it changes nothing
// outside keyir and tells no one (no notification, no message, no write),
// so running it again after a crash repeats nothing anyone saw. The runner
// lets such a step start while the journal's group commit of the lines
// before it is still on its way to disk (see playbook.Run).
type Reader interface {
	OnlyReads() bool
}

// OnlyReads reports whether a configured action only reads (see Reader).
// An action that does not say so is assumed to act.
func OnlyReads(a Action) bool {
	r, ok := a.(Reader)
	return ok && r.OnlyReads()
}
