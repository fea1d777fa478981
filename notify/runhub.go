package notify

import "context"
import "time"

// ServiceName is the name a run's actions find the hub under
// (actions.Env.Service): the notify steps look it up by it.
const ServiceName = "notify"

// StartRun builds one run's notification hub: the one way the CLI, serve
// and drills assemble it, each from its own configuration. It returns nil
// and no error when cfg configures no channel (notify steps then succeed
// with sent: false); a channel that cannot be built (a missing token, a bad
// address) is an error before anything runs. The run gets the hub through
// Services, and as an observer beside the caller's own; Finish ends it.
func StartRun(cfg HubConfig, env HubEnv) (*Hub, error) {
	if len(cfg.Channels) == 0 {
		return nil, nil
	}
	return NewHub(cfg, env)
}

// Services is what a run hands its actions: the hub under ServiceName; nil
// for no hub.
func (h *Hub) Services() map[string]any {
	if h == nil {
		return nil
	}
	return map[string]any{ServiceName: h}
}

// Finish lets the deliveries still queued after a run finish, for at most
// timeout (a run that stopped before its closing step was closed by the hub
// at RunFinished, and that delivery is among them), then stops the hub. It
// returns what failed; nothing for no hub.
func (h *Hub) Finish(ctx context.Context, timeout time.Duration) error {
	if h == nil {
		return nil
	}
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := h.Flush(fctx)
	h.Close()
	return err
}
