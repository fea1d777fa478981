package email

import "github.com/keyir/keyir/notify"

// The hub builds this channel from configuration as "email".
func init() {
	notify.RegisterChannel(notify.Channel{Name: "email", New: func(m map[string]any, o notify.ChannelOptions) (notify.Notifier, error) {
		cfg, err := Decode(m)
		if err != nil {
			return nil, err
		}
		return New(cfg, o)
	}})
}
