// Package all links every notification channel, so that notify.NewHub can
// build any of them from configuration. Commands and tests that build a hub
// import it for its side effect, as actions/all does for actions.
package all

import _ "github.com/keyir/keyir/notify/email"       // "email": SendGrid mail send with its own key
import _ "github.com/keyir/keyir/notify/slacknotify" // "slack": the incident thread
import _ "github.com/keyir/keyir/notify/webhook"     // "webhook": signed JSON
