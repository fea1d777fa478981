package slacknotify

import "errors"
import "fmt"
import "strings"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/transport"

// Config is where and how the Slack notifier posts.
type Config struct {
	// Channel is the incident channel: an id (C…) or a name. An id is better:
	// chat.update needs the id, so a name is resolved from the first post.
	Channel string `json:"channel"`
	// DrillChannel, when set, receives dry runs and drills instead, so
	// rehearsals do not page the real incident channel.
	DrillChannel string `json:"drill_channel,omitempty"`
	// APIURL is the Web API base; it must end in "/" (slack-go appends the
	// method). Point it at the simulator in drills.
	APIURL string `json:"api_url,omitempty"`
	// Timeout bounds each HTTP request.
	Timeout time.Duration `json:"timeout,omitempty"`
	// TokenEnv names the variable holding the bot token (or TokenEnv_FILE).
	TokenEnv string `json:"token_env,omitempty"`
}

// DefaultConfig holds the defaults Decode starts from.
var DefaultConfig = Config{
	APIURL:   "https://slack.com/api/",
	Timeout:  10 * time.Second,
	TokenEnv: "SLACK_BOT_TOKEN",
}

// Decode reads a Config from a playbook's or config file's map: defaults
// first, then a strict decode (an unknown field is an error), then Validate.
func Decode(m map[string]any) (Config, error) {
	c := DefaultConfig
	if err := notify.Decode(m, &c); err != nil {
		return Config{}, fmt.Errorf("notify.slack: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the configuration before anything runs.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Channel) == "" {
		errs = append(errs, errors.New("channel is required"))
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		errs = append(errs, fmt.Errorf("api_url %q must end with /", c.APIURL))
	} else if err := transport.CheckBaseURL("api_url", c.APIURL); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", c.Timeout))
	}
	if c.TokenEnv == "" {
		errs = append(errs, errors.New("token_env must name a variable"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("notify.slack: %w", err)
	}
	return nil
}
