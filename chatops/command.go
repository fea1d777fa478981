package chatops

import "errors"
import "fmt"
import "regexp"
import "slices"
import "strings"
import "sync"

import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// Verbs of /keyir.
const (
	VerbRevoke = "revoke"
	VerbDrill  = "drill"
	VerbStatus = "status"
	VerbHelp   = "help"
)

// Args is a parsed /keyir command line. Key is the leaked key when one was
// given: it is registered with the redactor while parsing and never shown;
// Info.ID and Info.Fingerprint name it.
type Args struct {
	Verb string
	Key  string
	Info sendgrid.KeyInfo
	// Kind is the recognised kind of a token that is not a SendGrid key
	// (Info.ID is then empty, Info.Fingerprint set; kinds.go).
	Kind     provider.Recognised
	Incident string
	DryRun   bool
	Scenario string
	RunID    string
}

var (
	keyIDRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`) })
	scenarioRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9-]{1,40}$`) })
	runIDRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`) })
)

// maxText bounds the command text: a key and an incident id are under 200
// characters; anything longer is refused unread.
const maxText = 1000

// ParseArgs parses the text after /keyir strictly. Anything after "revoke"
// is treated as leaked key material: every token that is not a valid key id,
// incident id or flag is registered with red before ParseArgs returns, and
// no error message quotes the input (only lengths and positions).
func ParseArgs(text string, red *redact.Redactor) (Args, error) {
	if len(text) > maxText {
		red.Add(text)
		return Args{}, fmt.Errorf("the command is %d characters long; /keyir takes at most %d", len(text), maxText)
	}
	toks := strings.Fields(text)
	if len(toks) == 0 {
		return Args{Verb: VerbHelp}, nil
	}
	a := Args{Verb: strings.ToLower(toks[0])}
	rest := toks[1:]
	switch a.Verb {
	case VerbRevoke:
		return parseRevoke(a, rest, red)
	case VerbDrill:
		arg, err := oneArg(rest, scenarioRE(), red, "drill takes at most one argument, the scenario")
		if err != nil || len(rest) == 0 {
			return a, err
		}
		if !scenarioRE().MatchString(arg) || !slices.Contains(drill.ScenarioNames(), arg) {
			return a, fmt.Errorf("no such drill scenario (scenarios: %s)", strings.Join(drill.ScenarioNames(), ", "))
		}
		a.Scenario = arg
		return a, nil
	case VerbStatus:
		arg, err := oneArg(rest, runIDRE(), red, "status takes at most one argument, a run id")
		if err != nil || len(rest) == 0 {
			return a, err
		}
		if !runIDRE().MatchString(arg) {
			return a, errors.New("a run id is 1 to 64 characters of A-Z a-z 0-9 . _ -")
		}
		a.RunID = arg
		return a, nil
	case VerbAbandon:
		return parseAbandon(a, rest, red)
	case VerbHelp:
		for _, t := range rest {
			red.Add(t)
		}
		return a, nil
	case VerbAudit:
		for _, t := range rest {
			red.Add(t)
		}
		if len(rest) > 0 {
			return a, errors.New("audit takes no arguments")
		}
		return a, nil
	}
	// Not a verb: it may be a key pasted in the wrong place.
	for _, t := range toks {
		red.Add(t)
	}
	return Args{Verb: ""}, errors.New("unknown command (commands: revoke, drill, status, abandon, audit, help)")
}

func parseRevoke(a Args, rest []string, red *redact.Redactor) (Args, error) {
	var pos []string
	for _, t := range rest {
		if t == "--dry-run" {
			a.DryRun = true
			continue
		}
		pos = append(pos, t)
	}
	// Register first, validate after: nothing below can print a token.
	for i, t := range pos {
		if i == 0 && keyIDRE().MatchString(t) {
			continue // a key id is the public half: it is shown
		}
		if i == 1 && report.ValidateIncident(t, red) == nil {
			continue
		}
		red.Add(t)
	}
	switch {
	case len(pos) == 0:
		return a, errors.New("usage: /keyir revoke <key or key id> [incident id] [--dry-run]")
	case len(pos) > 2:
		return a, fmt.Errorf("revoke takes a key (or key id) and an optional incident id; got %d arguments (none is shown here: they may be key material)", len(pos))
	}
	if len(pos) == 2 && misspeltOption(pos[1]) {
		// Taken as the incident id it made a LIVE request of what was
		// meant as a dry run.
		return a, errors.New("the only option of revoke is --dry-run, written exactly so; a word after the key that starts with - (or reads dry-run) is not taken for an incident id")
	}
	arg := pos[0]
	var err error
	switch {
	case strings.HasPrefix(arg, "SG."):
		a.Info, err = sendgrid.ParseKey(arg, "")
		a.Key = arg
	case keyIDRE().MatchString(arg):
		a.Info, err = sendgrid.ParseKey("", arg)
	default:
		err = recogniseToken(&a, arg)
	}
	if err != nil {
		a.Key = ""
		return a, err
	}
	if a.Kind.KeyKind == nil && !keyIDRE().MatchString(a.Info.ID) {
		return a, errors.New("the key id is not 22 characters of A-Z a-z 0-9 _ -")
	}
	if len(pos) == 2 {
		if err := report.ValidateIncident(pos[1], red); err != nil {
			return a, err
		}
		a.Incident = pos[1]
	}
	return a, nil
}

// misspeltOption reports whether an incident id is an option written
// wrong: it starts with a dash, or reads dry-run without its dashes.
func misspeltOption(t string) bool {
	word := strings.ReplaceAll(strings.ToLower(t), "_", "-")
	return strings.HasPrefix(t, "-") || word == "dry-run" || word == "dryrun"
}

// HelpText is /keyir help.
const HelpText = "*keyir* — contain a leaked SendGrid API key, GitHub token or Slack token from Slack.\n" +
	"• `/keyir revoke <key, key id or token> [incident id] [--dry-run]` — recognise the kind and post its playbook's plan for approval; a second person approves live runs.\n" +
	"• `/keyir drill [scenario]` — a tabletop drill against the built-in simulator (nothing real is touched).\n" +
	"• `/keyir status [run id]` — runs and pending approvals, or one run.\n" +
	"• `/keyir abandon <request id>` — release a key whose revoke was interrupted and will not be finished (`keyir resume DIR` on the server finishes it instead).\n" +
	"• `/keyir audit` — the account's API-key best practices (reads only); the summary and the HTML report are posted here.\n" +
	"• `/keyir help` — this text.\n" +
	"The key you paste is never shown or stored: keyir names it by id (SendGrid) or kind, and fingerprint. Paste it here only if it is already leaked."

// oneArg reads a verb's optional single argument. Every token that does
// not look like one (re), or has a key's shape (a GitHub or Slack token
// also matches a run id's characters), is registered with the redactor
// before anything is said about it: it may be a pasted key. A key-shaped
// argument is refused without being quoted.
func oneArg(rest []string, re *regexp.Regexp, red *redact.Redactor, tooMany string) (string, error) {
	for _, t := range rest {
		if !re.MatchString(t) || redact.LooksLikeKey(t) {
			red.Add(t)
		}
	}
	switch len(rest) {
	case 0:
		return "", nil
	case 1:
		if redact.LooksLikeKey(rest[0]) {
			return "", errors.New("that argument has the shape of a key or token (it is not shown); to revoke one, use /keyir revoke")
		}
		return rest[0], nil
	}
	return "", errors.New(tooMany)
}
