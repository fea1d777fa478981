package notify

import (
	"errors"

	"github.com/keyir/keyir/redact"
)

// CheckChannel is the check every channel's constructor makes before it
// reads its credential: the configuration is valid (configErr is its
// Validate's answer) and the run's redactor is there, because the credential
// is registered with it before anything is sent or logged.
func CheckChannel(name string, configErr error, red *redact.Redactor) error {
	if configErr != nil {
		return configErr
	}
	if red == nil {
		return errors.New(name + ": a redactor is required")
	}
	return nil
}
