// Package all registers every action keyir ships. Commands and tests that
// load playbooks import it for its side effect; providers register themselves
// in init(), as caddy modules do.
package all

import (
	_ "github.com/keyir/keyir/actions/core"       // core.note, core.wait, core.http
	_ "github.com/keyir/keyir/actions/notifystep" // notify.all, notify.slack, notify.email, notify.webhook
	_ "github.com/keyir/keyir/actions/sendgrid"   // sendgrid.*
)
