package audit

import "fmt"
import "maps"
import "regexp"
import "slices"
import "sort"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/actions/sendgrid"

func isFull(k Key) bool { return sendgrid.KeyType(k.Scopes) == sendgrid.TypeFull }

func checkFullAccess(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	var fails []Result
	for _, k := range a.Keys {
		if isFull(k) {
			fails = append(fails, fail(keySubject(k), fmt.Sprintf("the key has full access (%d scopes, user.email.read among them): a leak hands over the whole account", len(k.Scopes)),
				"GET /v3/api_keys/"+k.ID+": scopes include user.email.read"))
		}
	}
	return orPass(fails, fmt.Sprintf("none of %d keys has full access", len(a.Keys)))
}

// adminScope: a scope that creates, changes or deletes keys, teammates, IP
// access rules, webhooks, mail settings or subusers — what an attacker uses
// to stay in after the leaked key is revoked.
var adminScope = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(api_keys|teammates|access_settings\.whitelist|user\.webhooks\.[a-z_.]+|mail_settings\.[a-z_]+|subusers(\.[a-z_]+)?)\.(create|update|delete)$`)
})

func checkAdminScopes(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	var fails []Result
	for _, k := range a.Keys {
		var admin []string
		for _, sc := range k.Scopes {
			if !adminScope().MatchString(sc) {
				continue
			}
			// keyir's own key needs to revoke leaked keys: that grant is
			// deliberate, not drift.
			if k.ID == s.ResponderKeyID && slices.Contains(s.ResponderNeeds, sc) {
				continue
			}
			admin = append(admin, sc)
		}
		if len(admin) > 0 {
			fails = append(fails, fail(keySubject(k), fmt.Sprintf("the key can change the account's access (%d such scopes): %s", len(admin), scopeList(admin, 6)),
				"GET /v3/api_keys/"+k.ID+": "+scopeList(admin, 12)))
		}
	}
	return orPass(fails, fmt.Sprintf("none of %d keys holds a create/update/delete scope on keys, teammates, IP rules, webhooks or mail settings", len(a.Keys)))
}

// purpose maps words in a key's name to the scope families its job needs.
type purpose struct {
	word     *regexp.Regexp
	families []string
}

// purposes are compiled on the first audit, not at every start-up.
var purposes = sync.OnceValue(func() []purpose {
	return []purpose{
		{regexp.MustCompile(`^(mail|mailer|send|sender|sending|smtp|newsletter|campaigns?|transactional|notifications?)$`), []string{"mail.", "templates.", "asm.", "categories", "tracking_settings."}},
		{regexp.MustCompile(`^(stats|analytics|reporting|reports?|metrics|dashboard)$`), []string{"stats.", "email_activity.", "messages.", "categories", "suppression.", "geo.", "browsers.", "clients.", "devices.", "mailbox_providers."}},
		{regexp.MustCompile(`^(webhooks?|events?)$`), []string{"user.webhooks."}},
	}
})

// broadTolerance is how many scopes outside its job a key may hold before
// it counts as much broader than its use.
const broadTolerance = 3

var wordSplit = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9]+`) })

func nameWords(name string) []string { return wordSplit().Split(strings.ToLower(name), -1) }

func checkBroadScopes(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	var fails []Result
	judged := 0
	for _, k := range a.Keys {
		var fams []string
		for _, w := range nameWords(k.Name) {
			for _, p := range purposes() {
				if p.word.MatchString(w) {
					fams = append(fams, p.families...)
				}
			}
		}
		if len(fams) == 0 || k.ID == s.ResponderKeyID {
			continue
		}
		judged++
		var extra []string
		for _, sc := range k.Scopes {
			if sc == "2fa_required" || slices.ContainsFunc(fams, func(f string) bool { return strings.HasPrefix(sc, f) }) {
				continue
			}
			extra = append(extra, sc)
		}
		if len(extra) > broadTolerance {
			fails = append(fails, fail(keySubject(k), fmt.Sprintf("the name says what the key is for, yet %d of its %d scopes are outside that job: %s", len(extra), len(k.Scopes), scopeList(extra, 5)),
				"GET /v3/api_keys/"+k.ID+": "+scopeList(k.Scopes, 12)))
		}
	}
	return orPass(fails, fmt.Sprintf("%d keys whose names state a use hold no more than %d scopes beyond it", judged, broadTolerance))
}

func checkUnused(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	if a.SentGap != "" {
		return na(a.SentGap)
	}
	var fails []Result
	n := 0
	for _, k := range a.Keys {
		sent, asked := a.Sent[k.ID]
		if !asked {
			continue
		}
		n++
		if !sent {
			fails = append(fails, fail(keySubject(k), "the key may send mail but Email Activity shows none from it in the last 30 days",
				"GET /v3/messages?query=api_key_id=\""+k.ID+"\" AND last_event_time in the last 30 days: 0 messages"))
		}
	}
	return orPass(fails, fmt.Sprintf("all %d keys that may send mail sent some in the last 30 days", n))
}

// maxKeyAge is the rotation interval the audit holds keys to.
const maxKeyAge = 90 * 24 * time.Hour

func checkRotationAge(s *Snapshot, a *Account) []Result {
	if len(s.Baselines) == 0 {
		return na("no --baseline given: a key's age is known only from saved baselines (keyir inventory save)")
	}
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	var fails []Result
	for _, k := range a.Keys {
		var first time.Time
		var where string
		for _, b := range s.Baselines {
			for _, bk := range b.Keys {
				if bk.ID == k.ID && bk.Subuser == a.Subuser && (first.IsZero() || b.TakenAt.Before(first)) {
					first, where = b.TakenAt, b.Path
				}
			}
		}
		if !first.IsZero() && s.Now.Sub(first) >= maxKeyAge {
			fails = append(fails, fail(keySubject(k), fmt.Sprintf("the key was already there on %s, %d days ago: it has not been rotated in 90 days", first.Format("2006-01-02"), int(s.Now.Sub(first).Hours()/24)),
				fmt.Sprintf("baseline %s taken %s lists %s", where, first.Format(time.RFC3339), k.ID)))
		}
	}
	return orPass(fails, fmt.Sprintf("no key appears in a baseline older than 90 days (%d baselines)", len(s.Baselines)))
}

func checkDupNames(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	by := map[string][]string{}
	for _, k := range a.Keys {
		n := strings.ToLower(strings.TrimSpace(k.Name))
		by[n] = append(by[n], k.ID)
	}
	var fails []Result
	for _, n := range sortedKeys(by) {
		if ids := by[n]; len(ids) > 1 {
			fails = append(fails, fail(fmt.Sprintf("key name %q", n), fmt.Sprintf("%d keys share the name: when one leaks, which application to fix is guesswork", len(ids)), "keys "+strings.Join(ids, ", ")))
		}
	}
	return orPass(fails, fmt.Sprintf("the %d key names are unique", len(a.Keys)))
}

func checkSameScopes(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	by := map[string][]string{}
	for _, k := range a.Keys {
		if len(k.Scopes) == 0 {
			continue
		}
		sc := append([]string(nil), k.Scopes...)
		sort.Strings(sc)
		set := strings.Join(sc, " ")
		by[set] = append(by[set], fmt.Sprintf("%s %q", k.ID, k.Name))
	}
	var fails []Result
	for _, set := range sortedKeys(by) {
		if keys := by[set]; len(keys) > 1 {
			fails = append(fails, fail(fmt.Sprintf("%d keys with the same %d scopes", len(keys), len(strings.Fields(set))), "these keys hold exactly the same scopes: one credential shared under several names, or jobs never told apart", "keys "+strings.Join(keys, "; ")))
		}
	}
	return orPass(fails, "no two keys hold the same scope set")
}

var envWords = map[string]string{
	"prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
	"staging": "staging", "stage": "staging", "stg": "staging",
	"dev": "dev", "development": "dev",
	"test": "test", "testing": "test", "qa": "test", "sandbox": "test",
}

func checkEnvMix(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	envs := map[string][]string{}
	for _, k := range a.Keys {
		for _, w := range nameWords(k.Name) {
			if e, ok := envWords[w]; ok {
				envs[e] = append(envs[e], fmt.Sprintf("%q", k.Name))
				break
			}
		}
	}
	if len(envs) < 2 {
		return []Result{pass(fmt.Sprintf("key names mark at most one environment (%s)", strings.Join(sortedKeys(envs), ", ")))}
	}
	var ev []string
	for _, e := range sortedKeys(envs) {
		ev = append(ev, e+": "+strings.Join(envs[e], ", "))
	}
	return []Result{fail("account", fmt.Sprintf("keys of %d environments (%s) live side by side: a test key's leak reaches production mail", len(envs), strings.Join(sortedKeys(envs), ", ")), ev...)}
}

// keyLimitWarn: at 90 of SendGrid's 100 keys a rotation (which needs a
// second key for a while) is close to impossible.
const keyLimitWarn = 90

func checkKeyLimit(s *Snapshot, a *Account) []Result {
	if a.KeysGap != "" {
		return na(a.KeysGap)
	}
	if len(a.Keys) >= keyLimitWarn {
		return []Result{fail("account", fmt.Sprintf("%d of the 100 keys an account may hold are in use", len(a.Keys)), fmt.Sprintf("GET /v3/api_keys: %d keys", len(a.Keys)))}
	}
	return []Result{pass(fmt.Sprintf("%d of 100 keys in use", len(a.Keys)))}
}

// sortedKeys is the standard library's sorted key list, named for the checks'
// deterministic order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
