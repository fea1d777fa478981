package chatops

import "fmt"
import "os"
import "regexp"
import "slices"
import "strconv"
import "strings"
import "sync"
import "time"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/safefile"
import "github.com/keyir/keyir/yamlsafe"

// Config is keyir serve's configuration file. Identity is by Slack id only:
// user and channel names are display data.
//
//	team_id: T0123ABCD
//	api_app_id: A0123ABCD
//	allowed_users: [U0123ABCD]
//	allowed_user_groups: [S0123ABCD]
//	allowed_channels: [C0INCIDENT]
//	two_person: true
//	approval_expiry: 15m
//	playbooks:
//	  revoke: sendgrid-key-compromise
//	reports_dir: /var/lib/keyir/reports
//	data_dir: /var/lib/keyir/data
//	drill_channel: C0DRILL
type Config struct {
	TeamID   string
	APIAppID string
	// AllowedUsers and members of AllowedUserGroups may use keyir; at least
	// one of the two is required.
	AllowedUsers      []string
	AllowedUserGroups []string
	// UserGroupCache is how long a group's member list is trusted (default 1m).
	UserGroupCache time.Duration
	// AllowedChannels are the channels (ids) keyir answers in; required.
	AllowedChannels []string
	// TwoPerson requires an approver other than the requester for live
	// runs (default true).
	TwoPerson bool
	// ApprovalExpiry is how long a plan waits for approval (default 15m, at
	// most 30m: Slack's response_url lives 30 minutes).
	ApprovalExpiry time.Duration
	// Playbooks maps a command to its playbook (a built-in name or a file):
	// "revoke" (default sendgrid-key-compromise).
	Playbooks map[string]string
	// ReportsDir is the root of run directories, as for a terminal run.
	ReportsDir string
	// DataDir holds pending approvals, run state and the audit log.
	DataDir string
	// AuditLog is the audit file (default DATA_DIR/audit.jsonl).
	AuditLog string
	// DrillChannel, when set, is where /keyir drill posts its run.
	DrillChannel string
	// Region is the SendGrid region (global or eu), default global.
	Region string
}

// DefaultPlaybook is the playbook /keyir revoke runs unless configured.
const DefaultPlaybook = "sendgrid-key-compromise"

var (
	teamRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^T[A-Z0-9]{2,20}$`) })
	appRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^A[A-Z0-9]{2,20}$`) })
	userIDRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`) })
	groupRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^S[A-Z0-9]{2,20}$`) })
	channelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`) })

	configFields = []string{"team_id", "api_app_id", "allowed_users", "allowed_user_groups", "user_group_cache",
		"allowed_channels", "two_person", "approval_expiry", "playbooks", "reports_dir", "data_dir", "audit_log",
		"drill_channel", "region"}
	playbookCommands = []string{"revoke"}
)

// idFields are the fields that hold Slack ids: the shape of one, what a
// good one looks like, and where it goes (one id, or a list of them).
var idFields = map[string]struct {
	re   func() *regexp.Regexp
	want string
	one  func(*Config) *string
	list func(*Config) *[]string
}{
	"team_id":             {re: teamRE, want: "a team id like T0123ABCD", one: func(c *Config) *string { return &c.TeamID }},
	"api_app_id":          {re: appRE, want: "an app id like A0123ABCD", one: func(c *Config) *string { return &c.APIAppID }},
	"drill_channel":       {re: channelRE, want: "a channel id like C0123ABCD", one: func(c *Config) *string { return &c.DrillChannel }},
	"allowed_users":       {re: userIDRE, want: "user ids like U0123ABCD or W0123ABCD (names are not identities)", list: func(c *Config) *[]string { return &c.AllowedUsers }},
	"allowed_user_groups": {re: groupRE, want: "user group ids like S0123ABCD", list: func(c *Config) *[]string { return &c.AllowedUserGroups }},
	"allowed_channels":    {re: channelRE, want: "channel ids like C0123ABCD (not #names)", list: func(c *Config) *[]string { return &c.AllowedChannels }},
}

// maxConfig bounds the config file; it is a few hundred bytes.
const maxConfig = 1 << 20

// LoadConfig reads and validates a config file. Every problem is reported
// at once as playbook.Problems (FILE:LINE:COL: message).
// The file is read through safefile: a link, a FIFO or a device is refused
// without blocking, and one over maxConfig is refused before it is read.
func LoadConfig(path string) (*Config, error) {
	data, err := safefile.ReadFile(path, maxConfig)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig validates a config; file is used in positions only.
func ParseConfig(file string, data []byte) (*Config, error) {
	l := &cfgLoader{file: file}
	c := l.load(data)
	if len(l.probs) > 0 {
		return nil, l.probs
	}
	return c, nil
}

type cfgLoader struct {
	file  string
	probs playbook.Problems
}

func (l *cfgLoader) errf(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	l.at(line, col, format, args...)
}

func (l *cfgLoader) at(line, col int, format string, args ...any) {
	l.probs = append(l.probs, playbook.Problem{Pos: playbook.Pos{File: l.file, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
}

func (l *cfgLoader) load(data []byte) *Config {
	c := &Config{TwoPerson: true, ApprovalExpiry: 15 * time.Minute, UserGroupCache: time.Minute,
		Playbooks: map[string]string{"revoke": DefaultPlaybook}, ReportsDir: "reports", Region: "global"}
	if len(data) > maxConfig {
		l.errf(nil, "config is larger than %d bytes", maxConfig)
		return nil
	}
	top, err := yamlsafe.Parse(data, yamlsafe.Doc{Name: "config", Want: "team_id, api_app_id, allowed_channels …"})
	if err != nil {
		l.at(err.Line, err.Col, "%s", err.Msg)
		return nil
	}
	r := yamlsafe.Reader{Report: func(n *yaml.Node, msg string) { l.errf(n, "%s", msg) }, Suggest: actions.Suggest}
	f := r.Mapping(top, "field", "the config", configFields)
	seen := map[string]*yaml.Node{}
	for i, k := range f.Keys {
		v := f.Vals[i]
		seen[k.Value] = v
		if idf, ok := idFields[k.Value]; ok {
			if idf.one != nil {
				*idf.one(c) = l.id(v, k.Value, idf.re(), idf.want)
			} else {
				*idf.list(c) = l.ids(v, k.Value, idf.re(), idf.want)
			}
			continue
		}
		switch k.Value {
		case "user_group_cache":
			c.UserGroupCache = l.duration(v, k.Value, time.Second, time.Hour)
		case "approval_expiry":
			c.ApprovalExpiry = l.duration(v, k.Value, time.Minute, 30*time.Minute)
		case "two_person":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				l.errf(v, "two_person: want true or false")
			} else {
				c.TwoPerson, _ = strconv.ParseBool(v.Value)
			}
		case "playbooks":
			l.playbooks(v, c)
		case "reports_dir", "data_dir", "audit_log":
			s := l.str(v, k.Value)
			if s == "" {
				l.errf(v, "%s must not be empty", k.Value)
			}
			switch k.Value {
			case "reports_dir":
				c.ReportsDir = s
			case "data_dir":
				c.DataDir = s
			default:
				c.AuditLog = s
			}
		case "region":
			c.Region = l.str(v, k.Value)
			if c.Region != "global" && c.Region != "eu" {
				l.errf(v, "region: want global or eu, got %q", c.Region)
			}
		}
	}
	for _, req := range []string{"team_id", "api_app_id", "allowed_channels", "data_dir"} {
		if seen[req] == nil {
			l.errf(top, "%s is required", req)
		}
	}
	if seen["allowed_users"] == nil && seen["allowed_user_groups"] == nil {
		l.errf(top, "allowed_users or allowed_user_groups is required: keyir serve never lets everyone in")
	}
	if c.AuditLog == "" && c.DataDir != "" {
		c.AuditLog = c.DataDir + string(os.PathSeparator) + "audit.jsonl"
	}
	return c
}

func (l *cfgLoader) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		l.errf(n, "%s: want a string", what)
		return ""
	}
	return n.Value
}

func (l *cfgLoader) id(n *yaml.Node, what string, re *regexp.Regexp, want string) string {
	s := l.str(n, what)
	if s != "" && !re.MatchString(s) {
		l.errf(n, "%s: %q is not %s", what, s, want)
	}
	return s
}

func (l *cfgLoader) ids(n *yaml.Node, what string, re *regexp.Regexp, want string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "%s: want a list of %s", what, want)
		return nil
	}
	if len(n.Content) == 0 {
		l.errf(n, "%s: the list is empty", what)
	}
	var out []string
	for _, e := range n.Content {
		if s := l.id(e, what, re, want); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (l *cfgLoader) duration(n *yaml.Node, what string, lo, hi time.Duration) time.Duration {
	s := l.str(n, what)
	d, err := time.ParseDuration(s)
	switch {
	case s == "":
	case err != nil:
		l.errf(n, "%s: %q is not a duration like 15m", what, s)
	case d < lo || d > hi:
		l.errf(n, "%s: %s is out of range (%s to %s)", what, d, lo, hi)
	}
	return d
}

func (l *cfgLoader) playbooks(n *yaml.Node, c *Config) {
	if n.Kind != yaml.MappingNode {
		l.errf(n, "playbooks: want a mapping of command to playbook, like revoke: %s", DefaultPlaybook)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(playbookCommands, k.Value) {
			l.errf(k, "playbooks: unknown command %q (commands: %s)", k.Value, strings.Join(playbookCommands, ", "))
			continue
		}
		name := l.str(v, "playbooks."+k.Value)
		if name == "" {
			continue
		}
		if _, err := playbook.Resolve(name); err != nil {
			msg := err.Error()
			if ps, ok := err.(playbook.Problems); ok && len(ps) > 0 {
				msg = fmt.Sprintf("%d problem(s), first: %s (run keyir validate)", len(ps), ps[0].Error())
			}
			l.errf(v, "playbooks.%s: %s", k.Value, msg)
			continue
		}
		c.Playbooks[k.Value] = name
	}
}
