package webhook

import "errors"
import "fmt"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/transport"

// Config is where the webhook posts.
type Config struct {
	URL     string        `json:"url"`
	Timeout time.Duration `json:"timeout,omitempty"`
	// SecretEnv names the variable holding the signing secret (or SecretEnv_FILE).
	SecretEnv string `json:"secret_env,omitempty"`
}

// DefaultConfig holds the defaults Decode starts from.
var DefaultConfig = Config{Timeout: 10 * time.Second, SecretEnv: "KEYIR_WEBHOOK_SECRET"}

// Decode reads a Config strictly (unknown field = error), then validates it.
func Decode(m map[string]any) (Config, error) {
	c := DefaultConfig
	if err := notify.Decode(m, &c); err != nil {
		return Config{}, fmt.Errorf("notify.webhook: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the configuration before anything runs.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url is required"))
	} else if err := transport.CheckBaseURL("url", c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", c.Timeout))
	}
	if c.SecretEnv == "" {
		errs = append(errs, errors.New("secret_env must name a variable"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("notify.webhook: %w", err)
	}
	return nil
}
