package actions

import "context"
import "time"

// Poll is the polling parameters of a confirm step: the leaked credential
// is asked, with itself, again and again until its provider refuses it or
// the time is up. Embedded by every provider's confirm step so that the
// three parameters, their check and the backoff (1.5x per poll, capped) are
// one rule. The intervals differ by provider (how fast its revocations
// propagate, how hard it rate-limits): the provider's New sets them, and
// those values are the defaults `keyir actions` shows (see paramsIn).
type Poll struct {
	Timeout     time.Duration `param:"timeout" default:"5m" desc:"give up after this long"`
	Interval    time.Duration `param:"interval" desc:"first wait between polls; grows 1.5x per poll"`
	MaxInterval time.Duration `param:"max_interval" desc:"longest wait between polls"`
}

// CheckPoll refuses bounds that would never poll or never wait.
func (p Poll) CheckPoll() error {
	if p.Timeout <= 0 || p.Interval <= 0 || p.MaxInterval < 0 {
		return &ParamError{Msg: "timeout and interval must be positive"}
	}
	return nil
}

// Until calls probe (with the poll's number, from 1) until it returns true,
// the timeout passes, or ctx ends during a wait; it returns the number of
// polls made. Before each wait it calls waiting (when not nil) with the
// poll's number and the wait, so the step can say what it is waiting for.
// The probe settles everything else: it records a proof, and stops the
// polls when waiting cannot change the answer or ctx has ended.
func (p Poll) Until(ctx context.Context, probe func(poll int) (stop bool), waiting func(poll int, wait time.Duration)) int {
	deadline := time.Now().Add(p.Timeout)
	interval, maxInterval := p.Interval, max(p.MaxInterval, p.Interval)
	for polls := 1; ; polls++ {
		if probe(polls) {
			return polls
		}
		wait := min(interval, time.Until(deadline))
		if wait <= 0 {
			return polls
		}
		if waiting != nil {
			waiting(polls, wait)
		}
		if Sleep(ctx, wait) != nil {
			return polls
		}
		interval = min(time.Duration(float64(interval)*1.5), maxInterval)
	}
}

// Sleep waits d, or less when ctx ends first (then its error; also at once
// for d <= 0 when ctx has ended). Every wait of a step (a poll, a retry, a
// rate limit's reset) goes through it, so a cancelled run stops waiting.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
