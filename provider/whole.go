package provider

import "regexp"

// wholeRE compiles a key kind's pattern to match a whole key. Not
// `^(?:P)$`: an expression anchored at its start is tried as a one-pass
// program, and for the long counted repetitions of key shapes ({30,300})
// that attempt was most of a provider's registration, run by every command
// (about 2 ms of Slack's 5.5 ms; BENCHMARKS.md, "Sixth pass"). matchWhole
// requires the match to start at 0 instead: the leftmost match that starts
// at 0 and ends at the key's end, chosen by the same priority, is the one
// the anchored expression finds, with the same groups.
func wholeRE(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`(?:` + pattern + `)$`)
}

// matchWhole is FindStringSubmatch of `^(?:P)$` for an expression from
// wholeRE: nil unless the match spans all of key.
func matchWhole(re *regexp.Regexp, key string) []string {
	loc := re.FindStringSubmatchIndex(key)
	if loc == nil || loc[0] != 0 {
		return nil
	}
	out := make([]string, len(loc)/2)
	for i := range out {
		if loc[2*i] >= 0 {
			out[i] = key[loc[2*i]:loc[2*i+1]]
		}
	}
	return out
}
