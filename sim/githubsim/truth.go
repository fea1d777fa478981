package githubsim

import "net/url"
import "strconv"
import "strings"

// Item names one thing in the simulated GitHub for a scenario's ground
// truth: its kind and subject. Kinds: ssh_key and deploy_key (the key's
// id), webhook (its URL's host, repository or organization hook),
// invitation (the invitee's login or email), installation (the app's
// slug), token (the token itself: present while it authenticates, before
// any propagation delay), visibility ("owner/repo=public").
type Item struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
}

// Subjects of findings are spelled by actions/ghtoken (Expected); Items
// name what eradication acts on, in the state's own terms.

// Present reports whether the state still holds the item.
func (s *State) Present(it Item) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(it.Subject, 10, 64)
	switch it.Kind {
	case "ssh_key":
		for _, k := range s.sshKeys {
			if k.ID == id {
				return true
			}
		}
	case "deploy_key":
		for _, k := range s.deploy {
			if k.ID == id {
				return true
			}
		}
	case "webhook":
		for _, h := range s.hooks {
			if u, err := url.Parse(h.URL); err == nil && strings.EqualFold(u.Hostname(), it.Subject) {
				return true
			}
		}
	case "invitation":
		for _, i := range s.invites {
			if i.Login == it.Subject || (i.Email != "" && strings.EqualFold(i.Email, it.Subject)) {
				return true
			}
		}
	case "installation":
		for _, i := range s.installs {
			if i.AppSlug == it.Subject {
				return true
			}
		}
	case "token":
		t, ok := s.tokens[it.Subject]
		return ok && t.RevokedAt.IsZero()
	case "visibility":
		name, vis, _ := strings.Cut(it.Subject, "=")
		r, ok := s.repo(name)
		return ok && r.Visibility == vis
	}
	return false
}
