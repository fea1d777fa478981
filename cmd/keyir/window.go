package main

import "fmt"
import "regexp"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"

// clockSlack is how far in the future a window's end may lie before it is
// refused: a time copied from a machine whose clock runs a little ahead.
const clockSlack = time.Minute

// timeForms is the one sentence every time error ends with.
const timeForms = "want an RFC 3339 time (2026-11-25T09:00:00Z), a date (2026-11-25, midnight UTC), or a duration back from the window's end (72h, 7d)"

// normaliseTimes rewrites every given value of a time input into RFC 3339,
// accepting a date (YYYY-MM-DD, UTC) and a duration back from the window's
// end (window_end's own duration counts back from now), and refuses an
// exposure window that lies in the future or ends before it starts. It runs
// before the run directory exists, so such a mistake costs nothing: a
// window_start in the future used to be caught only after the revoke.
func normaliseTimes(pb *playbook.Playbook, given map[string]string, now time.Time) error {
	isTime := map[string]bool{}
	for _, in := range pb.Inputs {
		if in.Type == actions.TypeTime {
			isTime[in.Name] = true
		}
	}
	end := now
	parsed := map[string]time.Time{}
	// window_end first: the other times may count back from it.
	names := []string{"window_end"}
	for _, in := range pb.Inputs {
		if in.Name != "window_end" {
			names = append(names, in.Name)
		}
	}
	for _, name := range names {
		v, ok := given[name]
		if !ok || !isTime[name] || strings.TrimSpace(v) == "" {
			continue
		}
		base := end
		if name == "window_end" {
			base = now
		}
		t, err := parseTimeArg(v, base)
		if err != nil {
			return usageErr(fmt.Errorf("%s: %w", timeFlag(name), err))
		}
		if name == "window_end" {
			end = t
		}
		parsed[name] = t
		given[name] = t.Format(time.RFC3339)
	}
	for _, name := range []string{"window_start", "window_end"} {
		if t, ok := parsed[name]; ok && t.After(now.Add(clockSlack)) {
			return usageErr(fmt.Errorf("%s: %s is in the future (now is %s); the exposure window must have happened already", timeFlag(name), t.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		}
	}
	if start, ok := parsed["window_start"]; ok && !start.Before(end) {
		return usageErr(fmt.Errorf("%s: %s is not before the window's end, %s; the window is reversed or empty", timeFlag("window_start"), start.Format(time.RFC3339), end.Format(time.RFC3339)))
	}
	return nil
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseTimeArg reads one time: RFC 3339, a date at midnight UTC, or a
// duration (72h, 7d) counted back from base.
func parseTimeArg(v string, base time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if dateRE.MatchString(v) {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date: %s", v, timeForms)
		}
		return t.UTC(), nil
	}
	if d, err := actions.ParseDuration(v); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("the duration %q must be positive: %s", v, timeForms)
		}
		return base.Add(-d).UTC().Truncate(time.Second), nil
	}
	if redact.LooksLikeKey(v) {
		return time.Time{}, fmt.Errorf("the value has the shape of an API key (it is not shown): %s", timeForms)
	}
	return time.Time{}, fmt.Errorf("%q: %s", shortQuote(v), timeForms)
}

func timeFlag(input string) string {
	for _, f := range inputFlags {
		if f.input == input {
			return "--" + f.flag
		}
	}
	return "input " + input
}

func shortQuote(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// checkKeyKind names the kind of a leaked key the playbook does not contain
// ("this is a GitHub personal access token"), instead of the input's regular
// expression. The key itself is never quoted.
func checkKeyKind(pb *playbook.Playbook, key string) error {
	for _, in := range pb.Inputs {
		if in.Name != "key" || in.Pattern == "" {
			continue
		}
		re, err := regexp.Compile(`^(?:` + in.Pattern + `)$`)
		if err != nil || re.MatchString(key) {
			return nil
		}
		kind, revoke := redact.KindOf(key)
		if kind == "" {
			return nil
		}
		want := in.Description
		if want == "" {
			want = "a key matching " + in.Pattern
		}
		return usageErr(fmt.Errorf("the leaked key: this is %s, not a key playbook %s contains (its key input takes %s); revoke it in %s", kind, pb.Name, want, revoke))
	}
	return nil
}
