package provider

import "fmt"
import "regexp"
import "strings"

// shapeHint says what an unrecognised key is near, without quoting it: a
// whole key of a known kind inside other text (pasted with its quotes, its
// variable name or its header), or the prefix of a known kind with the
// rest cut short or mistyped. "" when it is near nothing keyir knows.
func shapeHint(key string) string {
	key = strings.TrimSpace(key)
	var inside, starts *KeyKind
	for _, k := range Kinds() {
		if k.Playbook == "" {
			continue
		}
		re, err := regexp.Compile(k.Pattern)
		if err == nil && re.MatchString(key) && (inside == nil || len(k.Prefix) > len(inside.Prefix)) {
			inside = k
		}
		if strings.HasPrefix(key, k.Prefix) && (starts == nil || len(k.Prefix) > len(starts.Prefix)) {
			starts = k
		}
	}
	switch {
	case inside != nil:
		return fmt.Sprintf(": it holds what looks like %s among other text (quotes, a variable name, a header?): give the key alone", inside.Named())
	case starts != nil:
		return fmt.Sprintf(": it starts like %s (%s…) but the rest does not have that shape: truncated, cut or mistyped?", starts.Named(), starts.Prefix)
	}
	return ""
}
