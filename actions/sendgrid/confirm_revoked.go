package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/report"
)

func init() {
	actions.Register(actions.Info{
		Name:     "sendgrid.confirm_revoked",
		Summary:  "Prove the leaked key is dead: poll GET /v3/scopes with it until 401 (bounded)",
		Contains: true,
		Outputs: []actions.Output{
			{Name: "confirmed", Type: actions.TypeBool, Description: "the key was proven dead"},
			{Name: "polls", Type: actions.TypeInt, Description: "liveness reads made"},
			{Name: "time_to_containment_ms", Type: actions.TypeInt, Description: "from the run's start to the first 401 (0 when not confirmed)"},
		},
		New: func() actions.Action {
			return &Confirm{Timeout: 5 * time.Minute, Interval: 5 * time.Second, MaxInterval: 30 * time.Second}
		},
	})
}

// Confirm polls until the leaked key is refused.
type Confirm struct {
	Key         string        `param:"key,secret" desc:"the leaked key (the only strong proof: it gets 401)"`
	KeyID       string        `param:"key_id" desc:"the key id, used when the key itself is not known"`
	Subuser     string        `param:"subuser" desc:"subuser that owned the key (id-only check)"`
	Timeout     time.Duration `param:"timeout" default:"5m" desc:"give up after this long"`
	Interval    time.Duration `param:"interval" default:"5s" desc:"first wait between polls; grows 1.5x per poll"`
	MaxInterval time.Duration `param:"max_interval" default:"30s" desc:"longest wait between polls"`
	Region      string        `param:"region" default:"global" desc:"global or eu"`
}

// Validate checks what identifies the key, and the bounds.
func (a *Confirm) Validate() error {
	if _, err := ParseKey(a.Key, a.KeyID); err != nil {
		return err
	}
	if a.Timeout <= 0 || a.Interval <= 0 || a.MaxInterval < 0 {
		return &actions.ParamError{Msg: "timeout and interval must be positive"}
	}
	return checkRegion(a.Region)
}

// Run polls until 401 (or 404 for the id-only check) or the timeout.
func (a *Confirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ki, err := ParseKey(a.Key, a.KeyID)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	var (
		probe  func(context.Context) (dead bool, what string, err error)
		proof  string
		strong = ki.HasSecret
	)
	if strong {
		c, err := newLeakedClient(env, a.Region, strings.TrimSpace(a.Key))
		if err != nil {
			return nil, err
		}
		proof = "the leaked key itself answered 401 on GET /v3/scopes"
		probe = func(ctx context.Context) (bool, string, error) {
			l, err := checkLiveness(ctx, c)
			if err != nil {
				return false, "", err
			}
			return l.Status == StatusDead, fmt.Sprintf("%s (%d)", l.Status, l.HTTP), nil
		}
	} else {
		c, err := newClient(env, a.Region, a.Subuser)
		if err != nil {
			return nil, err
		}
		proof = "GET /v3/api_keys/" + ki.ID + " answered 404 to the responder key. This is weaker proof than a 401 for the key itself: the key's secret was not available to test"
		probe = func(ctx context.Context) (bool, string, error) {
			_, err := getKey(ctx, c, ki.ID)
			switch st := statusOf(err); {
			case st == 404:
				return true, "404", nil
			case err == nil:
				return false, "key still exists (200)", nil
			case st != 0:
				return false, fmt.Sprintf("%d", st), nil
			default:
				return false, "", err
			}
		}
	}

	if env.DryRun() {
		polls := 0
		state := "not checked"
		if strong {
			polls = 1
			if dead, what, err := probe(ctx); err == nil {
				state = what
				if dead {
					state = "already dead (401)"
				}
			}
		}
		env.Recorder.Containment(report.Containment{
			Status: report.ContainmentPlanned, At: now(),
			Detail: "DRY RUN: revocation planned, not performed; the key is " + state,
		})
		return actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}, nil
	}

	deadline := time.Now().Add(a.Timeout)
	interval := a.Interval
	maxInterval := max(a.MaxInterval, a.Interval)
	polls := 0
	last := ""
	var lastErr error
	for {
		polls++
		dead, what, err := probe(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			lastErr, last = err, "error"
		} else {
			last = what
		}
		if dead {
			at := now()
			ttc := at.Sub(env.RunStarted)
			if env.RunStarted.IsZero() {
				ttc = 0
			}
			detail := fmt.Sprintf("%s after %d poll(s)", proof, polls)
			if !strong {
				detail = fmt.Sprintf("%s (after %d poll(s))", proof, polls)
			}
			env.Recorder.Containment(report.Containment{
				Status: report.ContainmentConfirmed, TimeToContainment: ttc, At: at, Detail: detail,
			})
			note(env, "containment confirmed: "+detail)
			return actions.Outputs{"confirmed": true, "polls": polls, "time_to_containment_ms": ttc.Milliseconds()}, nil
		}
		wait := min(interval, time.Until(deadline))
		if wait <= 0 {
			break
		}
		if env.Recorder != nil {
			env.Recorder.Progress(fmt.Sprintf("key still %s after poll %d; next check in %s (revocation takes a few minutes to propagate)", last, polls, wait.Round(time.Millisecond)))
		}
		if sleep(ctx, wait) != nil {
			break
		}
		interval = min(time.Duration(float64(interval)*1.5), maxInterval)
	}
	detail := fmt.Sprintf("the key was not proven dead after %d poll(s) over %s; last answer: %s", polls, a.Timeout, last)
	if ctx.Err() != nil {
		detail = fmt.Sprintf("interrupted after %d poll(s); last answer: %s", polls, last)
	}
	env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
	err = errors.New("containment not confirmed: " + detail)
	if lastErr != nil {
		err = fmt.Errorf("%w (last error: %v)", err, lastErr)
	}
	return actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}, err
}

var (
	_ actions.Action    = (*Confirm)(nil)
	_ actions.Validator = (*Confirm)(nil)
)
