package actions

import "net/url"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// Witness is one output of an earlier step that says the provider accepted
// the leaked credential: Output equal to Is (a status of StatusLive, a
// revoked true), or, when Lists is set, Output a list of fingerprints that
// holds the credential's (tokens that revoked themselves). Each provider
// declares its witnesses once, beside its confirm step, and SeenAccepted
// reads them.
type Witness struct {
	Action string
	Output string
	Is     any
	Lists  bool
	// Names: Output is the credential's id itself, for a step that knows
	// only the id (SendGrid's revoke, whose DELETE answered 204 at its
	// api_url: that API held the id). SeenAccepted is then given the id for
	// the fingerprint. Such a step counts only where it recorded its
	// api_url: one without (a journal written before it did) was no
	// witness then and is none now.
	Names bool
}

// APIURLOutput is the API a witness step asked, so that a later confirm
// counts it only at the same API (SeenAccepted).
var APIURLOutput = Output{Name: "api_url", Type: TypeString, Description: "the API the step asked (scheme, host, port and path; never credentials): a confirm counts what it saw only at the same API"}

// SeenAccepted is the one rule for a refusal that does not say the
// credential is dead (Slack's invalid_auth, GitHub's 401 "Bad credentials"):
// the same answer goes to a credential the provider at that URL never
// issued (another workspace's, another GitHub's) and to one revoked or
// expired there. Such a refusal proves the credential dead, and lets a
// confirm step say "confirmed", only once the run has seen the provider at
// that API accept it: an earlier step of this run that is one of the
// provider's witnesses, for this credential, at api.
//
// A step is this credential's when its witness output lists the
// fingerprint, when its fingerprint output names it, or, for a step whose
// outputs carry no fingerprint, when it acts for the credential's key
// (report.ActsFor: any step in a run of one key), or, for a witness by id
// (Names), when it names the id given. It was at api when its api_url is
// the same API (SameAPI); a step without api_url (a journal written before
// steps recorded it) counts, so such a run resumes as it did (a witness by
// id is none without it: see Names). A confirm step that sees the credential accepted in its own polls
// knows it too (the caller's part).
//
// elsewhere, when seen is false, is the api_url of a witness that saw the
// credential accepted at another API: the confirm's detail names it, since
// a refusal here then says nothing about the credential there.
func SeenAccepted(env *Env, fingerprint, api string, witnesses []Witness) (seen bool, elsewhere string) {
	if env == nil || env.Report == nil || fingerprint == "" {
		return false, ""
	}
	rep, err := env.Report()
	if err != nil || rep == nil {
		return false, ""
	}
	for _, s := range rep.Steps {
		if s.ID == env.Step || s.Outputs == nil {
			continue
		}
		for _, w := range witnesses {
			if w.Action != s.Action || !w.accepted(rep, s, fingerprint) {
				continue
			}
			at, _ := s.Outputs[APIURLOutput.Name].(string)
			if at == "" || SameAPI(at, api) {
				return true, ""
			}
			elsewhere = at
		}
	}
	return false, elsewhere
}

// accepted reports whether step s, one of w's action, says the provider
// accepted the credential of fingerprint.
func (w Witness) accepted(rep *report.Report, s report.Step, fingerprint string) bool {
	v := s.Outputs[w.Output]
	if w.Names {
		at, _ := s.Outputs[APIURLOutput.Name].(string)
		id, _ := v.(string)
		return at != "" && id == fingerprint
	}
	if w.Lists {
		return listed(v, fingerprint)
	}
	if v != w.Is {
		return false
	}
	if fp, _ := s.Outputs[FingerprintOutput.Name].(string); fp != "" {
		return fp == fingerprint
	}
	return rep.ActsFor(s.ID, fingerprint)
}

// APIURL is how a step names the API it asked in its outputs: scheme, host
// (with its port) and path, never a user or password the configured URL
// may carry, nor a query.
func APIURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// SameAPI reports whether two API base URLs name one API: the same host
// and root path (a trailing slash aside), and the same port unless the
// host is a loopback address. On loopback only a simulator or a local
// proxy answers, and a drill's simulator comes back on another port when
// its run is resumed (drill.Resume rebuilds the world on a new listener),
// so there the port cannot tell two APIs apart; anywhere else the port is
// part of where the provider is (a default port is the scheme's).
func SameAPI(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || ua.Host == "" || ub.Host == "" {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(ua.Hostname()), ".")
	if host != strings.TrimSuffix(strings.ToLower(ub.Hostname()), ".") {
		return false
	}
	if strings.TrimRight(ua.Path, "/") != strings.TrimRight(ub.Path, "/") {
		return false
	}
	return transport.IsLoopback(host) || portOf(ua) == portOf(ub)
}

// portOf is u's port, its scheme's when it names none.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// listed reports whether an output list (a []string in memory, []any
// replayed from the journal) holds v.
func listed(out any, v string) bool {
	switch l := out.(type) {
	case []string:
		for _, x := range l {
			if x == v {
				return true
			}
		}
	case []any:
		for _, x := range l {
			if s, _ := x.(string); s == v {
				return true
			}
		}
	}
	return false
}
