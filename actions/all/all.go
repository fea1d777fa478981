// Package all links every action and provider keyir ships (providers
// register themselves in init(), as caddy modules do). A program needs it
// only to offer them all: importing one provider's package is enough for
// that provider's playbooks to load and run.
package all

import _ "github.com/keyir/keyir/actions/core"       // core.note, core.wait, core.http
import _ "github.com/keyir/keyir/actions/ghtoken"    // github.*
import _ "github.com/keyir/keyir/actions/notifystep" // notify.all, notify.slack, notify.email, notify.webhook
import _ "github.com/keyir/keyir/actions/sendgrid"   // sendgrid.*
import _ "github.com/keyir/keyir/actions/slacktoken" // slack.*
