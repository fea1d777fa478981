// Package scanners reads the reports of the secret scanners people already
// run — gitleaks (its JSON report), TruffleHog (--json, one finding a line)
// and Kingfisher (--format json or jsonl) — into one list of findings:
// the rule that fired, where (file, line, commit) and the secret itself.
//
// A report is hostile input: it is read through safefile (no link
// followed, a regular file only, capped), parsed without panicking, and
// every secret in it — also the ones keyir does not handle, and every
// key-shaped word of the fields around one (a gitleaks Match) — is
// registered with the redactor before Read returns, even when the report
// turns out to be malformed half-way. No error quotes the report's text.
package scanners

import "bytes"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "strconv"
import "strings"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

// Formats a report can have.
const (
	Gitleaks   = "gitleaks"
	TruffleHog = "trufflehog"
	Kingfisher = "kingfisher"
	Auto       = "auto"
)

// Formats lists the formats Read takes, Auto first.
func Formats() []string { return []string{Auto, Gitleaks, TruffleHog, Kingfisher} }

// MaxReport is the largest report read (32 MiB): a scan of a large
// monorepo's history stays well under it; /dev/zero does not.
const MaxReport = 32 << 20

// MaxFindings bounds the findings of one report.
const MaxFindings = 100_000

// Finding is one secret a scanner found.
type Finding struct {
	// Rule is the scanner's name for what matched (gitleaks RuleID,
	// TruffleHog DetectorName, Kingfisher rule id).
	Rule   string
	File   string
	Line   int
	Commit string
	// Secret is the secret itself: registered with the redactor by Read,
	// never printed.
	Secret string
}

// Location is where the finding is, for people: "config/app.env:12
// (commit 1a2b3c4d5e6f)". It never includes the secret.
func (f Finding) Location() string {
	loc := f.File
	if loc == "" {
		loc = "(no file)"
	}
	if f.Line > 0 {
		loc += ":" + strconv.Itoa(f.Line)
	}
	if f.Commit != "" {
		c := f.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		loc += " (commit " + c + ")"
	}
	return loc
}

// Error is a report keyir cannot read: its message names the format and
// what is wrong, never the report's content.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// ReadFile reads a report from path (through safefile, capped at
// MaxReport) and parses it as Read does.
func ReadFile(path, format string, red *redact.Redactor) (string, []Finding, error) {
	data, err := safefile.ReadFile(path, MaxReport)
	if err != nil {
		return "", nil, err
	}
	return Read(data, format, red)
}

// Read parses a report of the given format (Auto: recognised from its
// first value) and returns the format and its findings. Every secret the
// report holds is registered with red before Read returns, whatever it
// returns; so is every key-shaped word anywhere in the report.
func Read(data []byte, format string, red *redact.Redactor) (string, []Finding, error) {
	// Anything key-shaped anywhere in the file, whatever the parse below
	// makes of it. The secrets are registered at once when Read returns,
	// with one rebuild of the redactor's index (one a secret would make a
	// report of thousands of secrets take minutes).
	reg := &registrar{}
	defer func() { red.AddAll(reg.secrets) }()
	reg.shapes(string(data))
	if format == Auto || format == "" {
		f, err := detect(data)
		if err != nil {
			return "", nil, err
		}
		format = f
	}
	var (
		fs  []Finding
		err error
	)
	switch format {
	case Gitleaks:
		fs, err = readGitleaks(data, reg)
	case TruffleHog:
		fs, err = readTruffleHog(data, reg)
	case Kingfisher:
		fs, err = readKingfisher(data, reg)
	default:
		return "", nil, &Error{fmt.Sprintf("unknown report format %q (formats: %s)", clip(format), strings.Join(Formats(), ", "))}
	}
	if err != nil {
		return format, nil, err
	}
	return format, fs, nil
}

// detect recognises a report by its first JSON value that says what it
// is: an array is gitleaks' report; an object with "findings" Kingfisher's
// JSON; one with "rule" and "finding" a line of Kingfisher's JSON lines;
// one with "DetectorName" or "SourceMetadata" a line of TruffleHog's. Other
// objects (TruffleHog's own log lines, captured with 2>&1) are passed over.
func detect(data []byte) (string, error) {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) == 0 {
		return "", &Error{"the report is empty (a scanner that found nothing writes [] or nothing: there is nothing to respond to)"}
	}
	if t[0] == '[' {
		return Gitleaks, nil
	}
	const unknown = "not a scanner report keyir reads: want gitleaks' JSON report, TruffleHog's --json lines or Kingfisher's JSON (--format names it)"
	dec := json.NewDecoder(bytes.NewReader(t))
	for {
		var v map[string]json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", &Error{unknown}
		}
		switch {
		case has(v, "findings") || (has(v, "rule") && has(v, "finding")):
			return Kingfisher, nil
		case has(v, "DetectorName") || has(v, "SourceMetadata"):
			return TruffleHog, nil
		}
	}
}

func has(m map[string]json.RawMessage, k string) bool { _, ok := m[k]; return ok }

// values decodes one JSON value after another (JSON lines, or one
// document), calling fn with each; it stops at the first error, naming
// the value's position, never its text.
func values(data []byte, what string, fn func(json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &Error{fmt.Sprintf("%s: value %d (near byte %d) is not valid JSON", what, n, dec.InputOffset())}
		}
		if err := fn(raw); err != nil {
			return err
		}
	}
}

// registrar collects what Read registers with the redactor.
type registrar struct{ secrets []string }

// shapes collects every key-shaped word of s. Words end at anything a key
// is not made of (quotes, colons, commas, braces, '=', blanks): taking a
// key's whole blank-delimited word, as the redactor's AddShapes does, would
// in compact JSON take the whole line, and registering that would redact
// its every field (rule names, paths) as a piece of a secret.
func (g *registrar) shapes(s string) {
	for _, w := range strings.FieldsFunc(s, notKeyByte) {
		if redact.LooksLikeKey(w) {
			g.secrets = append(g.secrets, w)
		}
	}
}

func notKeyByte(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("_.-+/", r)
}

// collector gathers findings, collecting each one's secrets first.
type collector struct {
	reg *registrar
	out []Finding
}

func (c *collector) add(f Finding, context ...string) error {
	c.reg.secrets = append(c.reg.secrets, f.Secret)
	// What surrounds the secret (gitleaks' Match is "API_KEY=<secret>")
	// holds the secret itself, taken above, and words that are not
	// secrets: registering it whole would redact "API_KEY" everywhere.
	// Its key-shaped words are registered.
	for _, s := range context {
		c.reg.shapes(s)
	}
	f.Secret = strings.TrimSpace(f.Secret)
	if f.Secret == "" {
		return nil
	}
	if len(c.out) == MaxFindings {
		return &Error{fmt.Sprintf("the report has more than %d findings; split it", MaxFindings)}
	}
	c.out = append(c.out, f)
	return nil
}

// clip bounds a string from the report for a message: a format name the
// operator typed, never a field of the report.
func clip(s string) string {
	if len(s) > 40 || redact.LooksLikeKey(s) {
		return "(not shown)"
	}
	return s
}
