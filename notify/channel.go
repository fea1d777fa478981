package notify

import "errors"
import "fmt"
import "time"

import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/report"

// OpenChannel is what every channel's constructor does first, in one
// place: the configuration is valid (configErr is its Validate's answer);
// the run's redactor is there, because the channel's credential is
// registered with it before anything is sent or logged; o's clock defaults
// to time.Now; and the credential is read from the variable env (or
// env_FILE) through credentials.Read, the one door. Errors name the channel.
func OpenChannel(name string, configErr error, o *ChannelOptions, env string) (string, error) {
	if configErr != nil {
		return "", configErr
	}
	if o.Redactor == nil {
		return "", errors.New(name + ": a redactor is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	secret, err := credentials.Read(env, o.Getenv, o.ReadFile, o.Redactor)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return secret, nil
}

// Rehearser is a channel that, in some modes, has its provider check a
// message without delivering it: email in a dry run goes with SendGrid's
// sandbox_mode, so nobody receives it.
type Rehearser interface {
	Delivers(mode report.Mode) bool
}

// Delivers says whether n delivers what it is given in a run of mode: a
// report must not name a channel as one that notified anyone when its
// message was only checked.
func Delivers(n Notifier, mode report.Mode) bool {
	r, ok := n.(Rehearser)
	return !ok || r.Delivers(mode)
}
