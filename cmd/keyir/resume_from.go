package main

import "errors"
import "fmt"
import "slices"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/scanners"

// A run of several keys (keyir respond --from) stores none of them: its
// resume reads the scanner's report again and gives each key back to the
// part of the run it was recorded as, by kind and fingerprint. The report
// must hold exactly the run's keys: one missing would leave a key of the
// incident unanswered, one more would not be answered by this run either,
// and both are refused by name (label, kind, fingerprint), never by value.

// readReport reads a scanner's report for respond and resume: every secret
// in it is registered with the redactor before anything is printed,
// whatever the report turns out to be.
func (a *app) readReport(path, format string) (string, []scanners.Finding, error) {
	if !slices.Contains(scanners.Formats(), format) {
		return "", nil, usageErr(fmt.Errorf("--format must be one of %s, not %q%s", strings.Join(scanners.Formats(), ", "), format, suggestion(format, scanners.Formats())))
	}
	format, findings, err := scanners.ReadFile(path, format, a.red)
	if err != nil {
		var se *scanners.Error
		if errors.As(err, &se) {
			return "", nil, usageErr(fmt.Errorf("--from %s: %w", path, err))
		}
		return "", nil, usageErr(fmt.Errorf("--from: %w", err))
	}
	return format, findings, nil
}

// resumeKeys reads the run's keys again from the --from report of c: the
// composed inputs that take them, for playbook.Resume.
func (a *app) resumeKeys(c *cli.Context, dir string, run report.Run) (map[string]string, error) {
	if c.String("key") != "" || c.String("key-file") != "" {
		if k := c.String("key"); k != "" && k != "-" {
			a.red.Add(k)
		}
		return nil, usageErr(fmt.Errorf("%s responds to %d keys: give the scanner's report again with --from FILE, not --key or --key-file", dir, len(run.Keys)))
	}
	from := c.String("from")
	if from == "" {
		return nil, usageErr(fmt.Errorf("%s responds to %d keys, which are never stored: give the scanner's report again: keyir resume %s --from FILE", dir, len(run.Keys), shellQuote(dir)))
	}
	_, findings, err := a.readReport(from, c.String("format"))
	if err != nil {
		return nil, err
	}
	return matchKeys(run.Keys, distinctKeys(findings), from)
}

// matchKeys gives each key of the run its secret from the report's keys, by
// kind and fingerprint, and refuses a report that does not hold exactly the
// run's keys.
func matchKeys(refs []report.KeyRef, keys []*reportKey, from string) (map[string]string, error) {
	given := map[string]string{}
	used := map[*reportKey]bool{}
	var probs []string
	for i, ref := range refs {
		var match *reportKey
		for _, k := range keys {
			if k.why == "" && k.kind.KeyKind.Kind == ref.Kind && redact.Fingerprint(k.secret) == ref.Fingerprint {
				match = k
				break
			}
		}
		if match == nil {
			probs = append(probs, fmt.Sprintf("%s (%s %s) is not in %s", ref.Label, ref.Human, ref.Fingerprint, from))
			continue
		}
		used[match] = true
		given[playbook.KeyInputOf(i, match.kind.KeyKind)] = match.secret
	}
	for _, k := range keys {
		if k.why == "" && !used[k] {
			probs = append(probs, fmt.Sprintf("%s holds %s %s (%s), which is not one of this run's keys: respond to it with its own keyir respond", from, k.kind.Human, redact.Fingerprint(k.secret), clipRule(k.rule)))
		}
	}
	if len(probs) > 0 {
		return nil, usageErr(fmt.Errorf("the report does not hold this run's keys, so the run cannot be resumed with it:\n  - %s", strings.Join(probs, "\n  - ")))
	}
	return given, nil
}
