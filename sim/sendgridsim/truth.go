package sendgridsim

import (
	"net/url"
	"strings"
)

// Item names one thing in the account for a scenario's ground truth about
// eradication: its eradication-plan kind (api_key, pending_invite,
// teammate, ip_allow_entry, event_webhook, parse_setting, forward_bounce,
// forward_spam, alert, verified_sender), its account ("" = parent) and the
// subject a plan item gives it (a key id, an address, an IP, a webhook's
// host, a username, a parse hostname).
type Item struct {
	Kind    string `json:"kind"`
	Account string `json:"account,omitempty"`
	Subject string `json:"subject"`
}

// Present reports whether the account still holds the item: a key not
// revoked, an invite, teammate, rule, webhook, parse host or alert still
// listed, a forward setting still enabled to that address.
func (s *State) Present(it Item) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	eq := strings.EqualFold
	switch it.Kind {
	case "api_key":
		for _, k := range s.keys {
			if k.ID == it.Subject && k.Subuser == it.Account && k.RevokedAt.IsZero() {
				return true
			}
		}
	case "pending_invite":
		for _, x := range s.invites {
			if x.Subuser == it.Account && eq(x.Email, it.Subject) {
				return true
			}
		}
	case "teammate":
		for _, x := range s.teammates {
			if x.Subuser == it.Account && x.Username == it.Subject {
				return true
			}
		}
	case "ip_allow_entry":
		for _, x := range s.allow {
			if x.Subuser == it.Account && x.IP == it.Subject {
				return true
			}
		}
	case "event_webhook":
		for _, x := range s.webhooks {
			if u, err := url.Parse(x.URL); err == nil && x.Subuser == it.Account && eq(u.Hostname(), it.Subject) {
				return true
			}
		}
	case "parse_setting":
		for _, x := range s.parse {
			if x.Subuser == it.Account && eq(x.Hostname, it.Subject) {
				return true
			}
		}
	case "forward_bounce", "forward_spam":
		f := s.acct(it.Account).fwdBounce
		if it.Kind == "forward_spam" {
			f = s.acct(it.Account).fwdSpam
		}
		return f.Enabled && eq(f.Email, it.Subject)
	case "alert":
		for _, x := range s.alerts {
			if x.Subuser == it.Account && eq(x.EmailTo, it.Subject) {
				return true
			}
		}
	case "verified_sender":
		for _, x := range s.senders {
			if x.Subuser == it.Account && eq(x.FromEmail, it.Subject) {
				return true
			}
		}
	}
	return false
}
