package chatops

import "strings"

import "github.com/keyir/keyir/provider"

// inputsFromEnv are the playbook inputs of a token's kind that a request
// cannot give (it gives only the token), read from the server's
// environment as the kind declares (provider.KeyKind.InputsFromEnv): a
// GitHub token's organization, so its run assesses footholds and can offer
// their removal.
func inputsFromEnv(kind string, getenv func(string) string) map[string]string {
	out := map[string]string{}
	if getenv == nil {
		return out
	}
	for _, k := range provider.Kinds() {
		if k.Kind != kind {
			continue
		}
		for in, env := range k.InputsFromEnv {
			if v := strings.TrimSpace(getenv(env)); v != "" {
				out[in] = v
			}
		}
	}
	return out
}
