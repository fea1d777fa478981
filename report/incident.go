package report

import "errors"
import "fmt"

import "github.com/keyir/keyir/redact"

// MaxIncidentLen bounds an incident id: it is part of the run directory's
// name, of every notification and of Slack commands.
const MaxIncidentLen = 64

// ValidateIncident is the one rule for an incident id, on every path that
// takes one (keyir run, keyir drill, /keyir revoke in serve): empty (no
// incident), or 1 to 64 characters of A-Z a-z 0-9 . _ -, and never key
// material. An id that is shaped like a key keyir knows (SendGrid, Slack,
// GitHub), or that holds a secret r knows (the leaked key pasted into the
// wrong field), is refused before anything is written, so it cannot reach
// run.json, the journal, the reports, the run directory's name or a
// notification. The error never quotes the value: it may be a key.
func ValidateIncident(id string, r *redact.Redactor) error {
	if id == "" {
		return nil
	}
	if redact.LooksLikeKey(id) {
		return errors.New("the incident id has the shape of an API key and is refused (it is not shown); an incident id looks like INC-42, and the key has its own door")
	}
	if r != nil && r.Contains(id) {
		return errors.New("the incident id contains a secret keyir holds (it is not shown); use an incident id such as INC-42")
	}
	if len(id) > MaxIncidentLen {
		return fmt.Errorf("the incident id is %d bytes long; at most %d characters of A-Z a-z 0-9 . _ - (it is not shown)", len(id), MaxIncidentLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !incidentByte(c) {
			what := "a byte outside A-Z a-z 0-9 . _ -"
			if c > ' ' && c < 0x7f {
				what = fmt.Sprintf("%q, which is not one of A-Z a-z 0-9 . _ -", c)
			}
			return fmt.Errorf("the incident id may hold only A-Z a-z 0-9 . _ -: character %d is %s (the id is not shown)", i+1, what)
		}
	}
	return nil
}

func incidentByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
