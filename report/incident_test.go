package report

import "strings"
import "testing"

import "github.com/keyir/keyir/redact"

const incidentKey = "SG.IncidentKeyIdIncide01.INCIDENTsecretPART0123456789abcdefghijklm"

func TestValidateIncident(t *testing.T) {
	red := redact.New(incidentKey)
	ok := []string{"", "INC-42", "DRILL-spam-burst", "sec_2026.11.30", strings.Repeat("A", 64)}
	for _, id := range ok {
		if err := ValidateIncident(id, red); err != nil {
			t.Errorf("%q refused: %v", id, err)
		}
	}
	bad := map[string]string{
		"the key":                   incidentKey,
		"the key cut short":         incidentKey[:41],
		"the secret segment":        incidentKey[26:],
		"a run of the secret":       "INC-" + incidentKey[30:44],
		"an unregistered SG key":    "SG.AAAAAAAAAAAAAAAAAAAAAA." + strings.Repeat("b", 43),
		"a github token":            "ghp_" + strings.Repeat("x", 36),
		"a fine-grained github pat": "github_pat_11AAAAAAA0abc",
		"a slack bot token":         "xoxb-1234567890-abcdefghij",
		"a slack refresh token":     "xoxe.xoxp-1-abcdefgh",
		"traversal":                 "../../outside/pwned",
		"NUL and newline":           "INC\x00\n../x",
		"space":                     "INC 42",
		"too long":                  strings.Repeat("A", 65),
	}
	for name, id := range bad {
		err := ValidateIncident(id, red)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		// Never quotes the value, nor any 8 characters of it.
		for i := 0; i+8 <= len(id); i++ {
			if strings.Contains(err.Error(), id[i:i+8]) {
				t.Errorf("%s: the error quotes %q: %v", name, id[i:i+8], err)
				break
			}
		}
	}
}
