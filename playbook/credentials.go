package playbook

import "errors"
import "fmt"
import "net/url"
import "strings"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/credentials"

// Credentials a playbook may send.
//
//	credentials:
//	  revoke_token: {env: EXAMPLE_ADMIN_TOKEN, host: api.example.com}
//
// A step names one (core.http's `credential: revoke_token`). The playbook
// never holds the value, only the environment variable's name, and the
// credential is bound to one host: the loader refuses a step whose URL
// visibly goes elsewhere, and core.http refuses at run time when the final
// URL (after templating) does. keyir's own credentials (SENDGRID_*, SLACK_*,
// KEYIR_*) cannot be declared at all: a stranger's playbook must not be able
// to ship the responder's SendGrid key to a host of its choosing.
//
// The host is written out, or is '{{ .inputs.NAME }}' of a required,
// non-secret string input: then the operator names the host on the command
// line (the generic revoke playbook works for any provider), and a required
// input has no default, so the playbook cannot choose it silently.

var credentialFields = []string{"env", "host", "description"}

func (l *loader) credentials(n *yaml.Node, inputs []Input) []Credential {
	var out []Credential
	for k, v := range l.declarations(n, "credentials", "a mapping of names to {env: VAR, host: api.example.com}", "credential") {
		name := k.Value
		label := "credential " + quoteShort(name)
		if !credentials.ValidName(name) {
			l.errf(k, "%s: use letters, digits, _ and -, starting with a letter", label)
			continue
		}
		if v.Kind != yaml.MappingNode {
			l.errf(v, "%s: want {env: VAR, host: api.example.com}, got %s", label, describe(v))
			continue
		}
		c := Credential{Name: name, Pos: l.pos(k)}
		d := l.mapping(v, "field", label, credentialFields)
		ok := true
		if e := d.val("env"); e == nil {
			l.errf(k, "%s: env is missing: name the environment variable that holds it", label)
			ok = false
		} else if s, sok := l.str(e, label+": env"); !sok {
			ok = false
		} else if !credentials.ValidEnvName(s) {
			l.errf(e, "%s: env: want the name of an environment variable, got %s", label, quoteShort(s))
			ok = false
		} else if credentials.IsOwn(s) {
			l.errf(e, "%s: env: %s is one of keyir's own credentials (%s); a playbook cannot send it", label, s, credentials.OwnPrefixes())
			ok = false
		} else {
			c.Env = s
		}
		if h := d.val("host"); h == nil {
			l.errf(k, "%s: host is missing: name the one host it may be sent to", label)
			ok = false
		} else if s, sok := l.str(h, label+": host"); !sok {
			ok = false
		} else if isTemplate(s) {
			in, err := hostInput(s, inputs)
			if err != nil {
				l.errf(h, "%s: host: %v", label, err)
				ok = false
			}
			c.HostInput = in
		} else if host, err := credentials.NormalizeHost(s); err != nil {
			l.errf(h, "%s: host: %v", label, err)
			ok = false
		} else {
			c.Host = host
		}
		if x := d.val("description"); x != nil {
			l.str(x, label+": description")
		}
		if ok {
			out = append(out, c)
		} else {
			if l.badCreds == nil {
				l.badCreds = map[string]bool{}
			}
			l.badCreds[name] = true
		}
	}
	return out
}

// hostInput accepts exactly '{{ .inputs.NAME }}' of a required, non-secret
// string input, and returns NAME.
func hostInput(src string, inputs []Input) (string, error) {
	const want = "write the host (api.example.com) or '{{ .inputs.NAME }}' of a required string input"
	t, err := ParseTemplate(src)
	if err != nil {
		return "", err
	}
	if t.direct == "" {
		return "", errors.New(want)
	}
	for _, in := range inputs {
		if in.Name != t.direct {
			continue
		}
		switch {
		case in.Secret:
			return "", fmt.Errorf("input %s is secret: a host is not", in.Name)
		case !in.Required:
			return "", fmt.Errorf("input %s must be required, so the operator names the host (an optional input would let the playbook's default choose it)", in.Name)
		case in.Type != actions.TypeString:
			return "", fmt.Errorf("input %s is a %s; a host is a string", in.Name, in.Type)
		}
		return in.Name, nil
	}
	return "", fmt.Errorf("unknown input %s", quoteShort(t.direct))
}

// stepCredential resolves the credential a step names and, where the URL's
// host is written out, checks it against the credential's host.
func (l *loader) stepCredential(st *Step, label string, params fields) {
	var cred *Credential
	for _, p := range st.Info.Params() {
		v, ok := st.With[p.Name]
		if !p.Credential || !ok {
			continue
		}
		n := params.val(p.Name)
		if v.Template != nil {
			l.errf(n, "%s: parameter %q: name a credential declared under credentials:, as written, not a template", label, p.Name)
			continue
		}
		name, isStr := v.Literal.(string)
		if !isStr || name == "" {
			continue // the type check reports it
		}
		for i := range l.creds {
			if l.creds[i].Name == name {
				c := l.creds[i]
				cred = &c
			}
		}
		if cred == nil && l.badCreds[name] {
			continue
		}
		if cred == nil {
			known := make([]string, len(l.creds))
			for i, c := range l.creds {
				known[i] = c.Name
			}
			l.errf(n, "%s: parameter %q: no credential %s is declared under credentials:%s", label, p.Name, quoteShort(name), suggest(name, known))
			continue
		}
		st.Credential = cred
	}
	if cred == nil || cred.Host == "" {
		return
	}
	for _, p := range st.Info.Params() {
		v, ok := st.With[p.Name]
		if !p.Target || !ok {
			continue
		}
		if u, ok := staticURL(v); ok && !credentials.SameHost(cred.Host, u) {
			l.errf(params.val(p.Name), "%s: parameter %q: credential %q is bound to %s; this URL goes to %s", label, p.Name, cred.Name, cred.Host, quoteShort(credentials.URLHost(u)))
		}
	}
}

// staticURL parses a URL value as far as its host is known at load: a
// literal, or a template whose scheme and host come before any {{ and end
// at a '/', '?' or '#'. "https://api.example.com{{ .inputs.x }}" is not
// static: the template could go on with ".evil.example".
func staticURL(v Value) (*url.URL, bool) {
	var raw string
	switch {
	case v.Template != nil:
		src := v.Template.Source()
		prefix := src[:strings.Index(src, "{{")]
		i := strings.Index(prefix, "://")
		if i < 0 {
			return nil, false
		}
		j := strings.IndexAny(prefix[i+3:], "/?#")
		if j < 0 {
			return nil, false
		}
		raw = prefix[:i+3+j]
	default:
		s, ok := v.Literal.(string)
		if !ok {
			return nil, false
		}
		raw = s
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, false
	}
	return u, true
}
