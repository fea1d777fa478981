package webhook

import "github.com/keyir/keyir/notify"

// The hub builds this channel from configuration as "webhook".
func init() {
	notify.RegisterChannel(notify.Channel{Name: "webhook", New: func(m map[string]any, o notify.ChannelOptions) (notify.Notifier, error) {
		cfg, err := Decode(m)
		if err != nil {
			return nil, err
		}
		return New(cfg, o)
	}})
}
