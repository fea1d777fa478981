package actions

import "time"

// DefaultWindow is how long before its end an exposure window starts when
// the playbook gives no start.
const DefaultWindow = 7 * 24 * time.Hour

// Window is the exposure window parameters of an assessment step (the time
// the leaked credential was out). Embedded by the actions that take it, of
// any provider, so the two parameters, the check that the window is not
// inverted and its defaults are one rule.
type Window struct {
	WindowStart time.Time `param:"window_start" desc:"start of the exposure window (default: window_end minus 7 days)"`
	WindowEnd   time.Time `param:"window_end" desc:"end of the exposure window (default: now)"`
}

// CheckWindow refuses a window that does not start before it ends.
func (w Window) CheckWindow() error {
	if !w.WindowStart.IsZero() && !w.WindowEnd.IsZero() && !w.WindowStart.Before(w.WindowEnd) {
		return &ParamError{Param: "window_start", Msg: "must be before window_end"}
	}
	return nil
}

// Bounds is the window in UTC with its defaults filled in: it ends now (the
// step's clock, env.Now, when set) and starts DefaultWindow before its end.
func (w Window) Bounds(env *Env) (start, end time.Time) {
	start, end = w.WindowStart, w.WindowEnd
	if end.IsZero() {
		end = env.Clock()()
	}
	if start.IsZero() {
		start = end.Add(-DefaultWindow)
	}
	return start.UTC(), end.UTC()
}
