package sendgridsim

import "net/url"
import "slices"
import "strings"

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
	// Each kind is held when an entry of the item's account answers to its
	// subject, compared the way a plan item names it (addresses and hosts
	// without regard to case).
	acct, subj := it.Account, it.Subject
	switch it.Kind {
	case "api_key":
		return slices.ContainsFunc(s.keys, func(k Key) bool { return k.ID == subj && k.Subuser == acct && k.RevokedAt.IsZero() })
	case "pending_invite":
		return slices.ContainsFunc(s.invites, func(x Invite) bool { return x.Subuser == acct && eq(x.Email, subj) })
	case "teammate":
		return slices.ContainsFunc(s.teammates, func(x Teammate) bool { return x.Subuser == acct && x.Username == subj })
	case "ip_allow_entry":
		return slices.ContainsFunc(s.allow, func(x AllowListIP) bool { return x.Subuser == acct && x.IP == subj })
	case "event_webhook":
		return slices.ContainsFunc(s.webhooks, func(x EventWebhook) bool {
			u, err := url.Parse(x.URL)
			return err == nil && x.Subuser == acct && eq(u.Hostname(), subj)
		})
	case "parse_setting":
		return slices.ContainsFunc(s.parse, func(x ParseSetting) bool { return x.Subuser == acct && eq(x.Hostname, subj) })
	case "forward_bounce", "forward_spam":
		f := s.acct(acct).fwdBounce
		if it.Kind == "forward_spam" {
			f = s.acct(acct).fwdSpam
		}
		return f.Enabled && eq(f.Email, subj)
	case "alert":
		return slices.ContainsFunc(s.alerts, func(x Alert) bool { return x.Subuser == acct && eq(x.EmailTo, subj) })
	case "verified_sender":
		return slices.ContainsFunc(s.senders, func(x VerifiedSender) bool { return x.Subuser == acct && eq(x.FromEmail, subj) })
	}
	return false
}
