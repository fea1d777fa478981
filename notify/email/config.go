package email

import "errors"
import "fmt"
import "net/mail"
import "strings"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/transport"

// Regions are SendGrid's API hosts.
var Regions = map[string]string{
	"global": "https://api.sendgrid.com",
	"eu":     "https://api.eu.sendgrid.com",
}

// Config is who gets the incident email and how it is sent.
type Config struct {
	To   []string `json:"to"`
	From string   `json:"from"`
	// APIURL is the SendGrid host (no path); when empty, Region picks it.
	APIURL string `json:"api_url,omitempty"`
	// Region is "global" (default) or "eu".
	Region  string        `json:"region,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	// KeyEnv names the variable holding the notification key (or KeyEnv_FILE):
	// a key restricted to mail.send, never the responder's key.
	KeyEnv string `json:"key_env,omitempty"`
}

// DefaultConfig holds the defaults Decode starts from.
var DefaultConfig = Config{Region: "global", Timeout: 15 * time.Second, KeyEnv: "SENDGRID_NOTIFY_API_KEY"}

// Decode reads a Config strictly (unknown field = error), then validates it.
func Decode(m map[string]any) (Config, error) {
	c := DefaultConfig
	if err := notify.Decode(m, &c); err != nil {
		return Config{}, fmt.Errorf("notify.email: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Host is the API host the config sends to.
func (c Config) Host() string {
	if c.APIURL != "" {
		return strings.TrimRight(c.APIURL, "/")
	}
	if h, ok := Regions[c.Region]; ok {
		return h
	}
	return Regions["global"]
}

// Validate checks the configuration before anything runs.
func (c Config) Validate() error {
	var errs []error
	if len(c.To) == 0 {
		errs = append(errs, errors.New("to: at least one recipient is required"))
	}
	for _, a := range c.To {
		if _, err := mail.ParseAddress(a); err != nil {
			errs = append(errs, fmt.Errorf("to: %q is not an email address", a))
		}
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("from: %q is not an email address (it must be a verified sender)", c.From))
	}
	if c.APIURL == "" {
		if _, ok := Regions[c.Region]; !ok && c.Region != "" {
			errs = append(errs, fmt.Errorf("region %q: want global or eu", c.Region))
		}
	} else if err := transport.CheckBaseURL("api_url", c.APIURL); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", c.Timeout))
	}
	if c.KeyEnv == "" {
		errs = append(errs, errors.New("key_env must name a variable"))
	}
	if c.KeyEnv == "SENDGRID_API_KEY" {
		errs = append(errs, errors.New("key_env: SENDGRID_API_KEY is the responder's key; notifications need their own mail.send-only key (SENDGRID_NOTIFY_API_KEY)"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("notify.email: %w", err)
	}
	return nil
}
