package credentials

import "fmt"
import "net"
import "net/url"
import "regexp"
import "strings"

// Binding is a credential a playbook declares under `credentials:`, bound
// to the one host it may be sent to. The playbook names the environment
// variable (never the value); the binding travels with the step to the
// action, which refuses to send it anywhere else.
type Binding struct {
	Name string // as declared in the playbook
	Env  string // environment variable holding it (or Env_FILE, a file)
	Host string // the only host it may go to: host or host:port, lower case
}

// ownCredentialPrefixes are the environment variable families of keyir's own
// credentials: the responder's SendGrid key and notify key, the Slack tokens
// and signing secret, the webhook secret. A playbook (perhaps a stranger's)
// must never be able to send them anywhere, whatever host it names.
var ownCredentialPrefixes = []string{"SENDGRID_", "SLACK_", "KEYIR_"}

// IsOwn reports whether an environment variable belongs to
// keyir itself (case-insensitively, and so with its _FILE twin too).
func IsOwn(name string) bool {
	up := strings.ToUpper(strings.TrimSpace(name))
	for _, p := range ownCredentialPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	return false
}

// OwnPrefixes lists the refused prefixes, for messages.
func OwnPrefixes() string { return strings.Join(ownCredentialPrefixes, "*, ") + "*" }

var (
	envNameRE        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	credentialNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	hostNameRE       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// ValidName reports whether s can name a declared credential.
func ValidName(s string) bool { return credentialNameRE.MatchString(s) }

// ValidEnvName reports whether s can name an environment variable.
func ValidEnvName(s string) bool { return envNameRE.MatchString(s) }

// NormalizeHost checks a credential's host as a playbook writes it
// (api.example.com, 127.0.0.1:8443, [::1]:8443) and returns it lower case,
// without a trailing dot. A URL, a path or user info is refused: the
// binding is to a host, and anything more would be ambiguous.
func NormalizeHost(h string) (string, error) {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" {
		return "", fmt.Errorf("want a host such as api.example.com, got nothing")
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@ \\") {
		return "", fmt.Errorf("want a host such as api.example.com (no scheme, path or user), got %q", short(h))
	}
	name, port := h, ""
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		var err error
		if name, port, err = net.SplitHostPort(h); err != nil {
			if !strings.HasPrefix(h, "[") || !strings.HasSuffix(h, "]") {
				return "", fmt.Errorf("want host or host:port, got %q", short(h))
			}
			name, port = strings.Trim(h, "[]"), ""
		}
	}
	name = strings.TrimSuffix(name, ".")
	if ip := net.ParseIP(name); ip == nil && !hostNameRE.MatchString(name) {
		return "", fmt.Errorf("want a host name or IP address, got %q", short(h))
	}
	if port != "" {
		if n, err := parsePort(port); err != nil || n == 0 {
			return "", fmt.Errorf("want a port from 1 to 65535, got %q", short(port))
		}
		return net.JoinHostPort(name, port), nil
	}
	if strings.Contains(name, ":") {
		return "[" + name + "]", nil
	}
	return name, nil
}

func parsePort(p string) (int, error) {
	n := 0
	if p == "" || len(p) > 5 {
		return 0, fmt.Errorf("bad port")
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad port")
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, fmt.Errorf("bad port")
	}
	return n, nil
}

// URLHost is the host a request to u goes to, in NormalizeHost's form, with
// the scheme's default port left out, as a credential's host is written.
func URLHost(u *url.URL) string {
	name := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		return net.JoinHostPort(name, port)
	}
	if strings.Contains(name, ":") {
		return "[" + name + "]"
	}
	return name
}

// SameHost reports whether a request to u goes to bound (a NormalizeHost
// result): same name, same port, a default port written or not.
func SameHost(bound string, u *url.URL) bool {
	b, err := url.Parse(u.Scheme + "://" + bound + "/")
	if err != nil {
		return false
	}
	return URLHost(b) == URLHost(u)
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
