package core

import "net/url"
import "slices"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/credentials"

// Effect decides from the step's own method, not from core.http's
// registration: a GET reads, a POST or DELETE may change something at the
// provider. A method known only at run time (a template reading an earlier
// step) is counted as a write; the host is the URL's when it is known.
func (h *HTTP) Effect() actions.Effect {
	e := actions.Effect{Mutates: h.Mutates() || h.unknown["headers"] || h.unknown["write"]}
	switch {
	case h.Method == "":
		e.Why = "core.http: the method is known only at run time, so it is counted as a write"
	case !slices.Contains(methods, h.Method):
		// Not echoed: it came from an input, and Validate refuses it.
		e.Why = "core.http: not a method it sends (the run refuses it), counted as a write"
	case h.unknown["headers"] && h.override() == "" && !h.Mutates():
		e.Why = "core.http " + h.Method + ": its headers are known only at run time and could ask the server to take it as another method, so it is counted as a write"
	case h.Write && (h.Method == "GET" || h.Method == "HEAD"):
		e.Why = "core.http " + h.Method + ": the step says it changes something (write: true), so it is counted as a write and a dry run refuses it"
	case h.unknown["write"] && !h.Mutates():
		e.Why = "core.http " + h.Method + ": whether it is a write is known only at run time, so it is counted as a write"
	case h.override() != "":
		e.Why = "core.http " + h.Method + ": a header asks the server to take it as " + h.override() + ", counted as a write"
	case e.Mutates:
		e.Why = "core.http " + h.Method + ": any method but GET or HEAD may change something at the provider"
	default:
		e.Why = "core.http " + h.Method + ": a read"
	}
	if u, err := url.Parse(h.URL); err == nil && u.Host != "" {
		e.Hosts = []string{credentials.URLHost(u)}
	}
	return e
}
