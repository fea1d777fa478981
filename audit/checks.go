package audit

import "fmt"
import "sort"
import "strings"

import "github.com/keyir/keyir/report"

// Catalog lists every check in report order. Ids are stable: CI baselines
// and suppressions name them.
func Catalog() []Check { return append([]Check(nil), catalog...) }

var catalog = []Check{
	{"KEY-FULL-ACCESS", LeastPrivilege, report.Critical, "no full-access API keys", "Replace the key with one restricted to the scopes its application uses, then delete it.", checkFullAccess},
	{"KEY-ADMIN-SCOPES", LeastPrivilege, report.High, "no key can change keys, teammates, IP rules, webhooks or mail settings", "Remove the create/update/delete scopes from the key, or move that job to a separate, tightly held key.", checkAdminScopes},
	{"KEY-BROAD-SCOPES", LeastPrivilege, report.Medium, "keys hold only the scopes their apparent use needs", "Restrict the key to the scopes of its job (its name says what that is).", checkBroadScopes},
	{"KEY-UNUSED", Rotation, report.Medium, "every sending key sent mail in the last 30 days", "Delete keys that no longer send; recreate one when it is needed.", checkUnused},
	{"KEY-ROTATION-AGE", Rotation, report.Medium, "no key older than 90 days by the saved baselines", "Rotate the key: create a replacement, deploy it, delete the old key.", checkRotationAge},
	{"IP-NO-ALLOWLIST", IPAllowListing, report.Medium, "an IP allow list is configured", "Add your offices' and servers' addresses to IP Access Management.", checkNoAllowList},
	{"IP-WIDE-ENTRY", IPAllowListing, report.High, "no wildcard or very wide allow-list entries", "Replace the entry with the exact addresses (or a /24 or narrower) that need access.", checkWideEntries},
	{"IP-REFUSED-ACCESS", Monitoring, report.Medium, "no refused access attempts in the last 30 days", "Find out who tried from that address; if unknown, rotate credentials and review teammates.", checkRefused},
	{"IP-NEW-ADDRESS", Monitoring, report.Medium, "no access from an address first seen in the last 7 days", "Confirm the new address belongs to your team; if not, rotate credentials.", checkNewAddress},
	{"HTTPS-EVENT-WEBHOOK", HTTPS, report.High, "event webhooks post over https", "Change the webhook URL to https://.", checkEventHTTP},
	{"HTTPS-PARSE-WEBHOOK", HTTPS, report.High, "inbound parse posts over https", "Change the parse URL to https://.", checkParseHTTP},
	{"WEBHOOK-UNSIGNED", HTTPS, report.Medium, "enabled event webhooks have signature verification on", "Enable the Signed Event Webhook and verify the signature in the receiver.", checkUnsigned},
	{"FWD-UNTRUSTED", NoSharing, report.High, "bounce and spam forwarding stays inside trusted domains", "Point forwarding at an address of your own domain, or turn it off.", checkForwarding},
	{"ALERT-UNTRUSTED", Monitoring, report.Medium, "alert e-mails go to trusted domains", "Send alerts to an address of your own domain.", checkAlertDest},
	{"ALERT-NO-USAGE", Monitoring, report.Low, "a usage alert is configured", "Create a usage_limit alert so a leaked key's burst is noticed.", checkUsageAlert},
	{"KEY-DUP-NAME", NoSharing, report.Medium, "key names are unique", "Give each application its own, distinctly named key.", checkDupNames},
	{"KEY-SAME-SCOPES", NoSharing, report.Low, "no two keys hold the same scope set", "Check the keys are not one credential shared under two names; merge or tell them apart.", checkSameScopes},
	{"KEY-ENV-MIX", SeparateKeys, report.Medium, "one environment per account", "Move each environment's keys to its own subuser.", checkEnvMix},
	{"KEY-LIMIT", SeparateKeys, report.Medium, "the account is well below the 100-key limit", "Delete unused keys before the limit blocks a rotation.", checkKeyLimit},
	{"TEAM-ADMIN", LeastPrivilege, report.Medium, "no teammate or invite has admin rights beyond the owner", "Give the teammate only the scopes of their job.", checkTeamAdmin},
	{"TEAM-STALE-INVITE", Auditing, report.Low, "no pending invite older than a week", "Delete the invitation; send a new one if it is still wanted.", checkStaleInvites},
	{"TEAM-2FA", TwoFactor, report.High, "no teammate is exempt from two-factor authentication", "Require two-factor authentication for every teammate (Settings > Teammates).", check2FA},
	{"BASELINE-DRIFT", Auditing, report.Medium, "nothing added, changed or removed since the baseline", "Confirm each change was made by your team; undo the rest.", checkDrift},
}

// Run runs every check on every account of the snapshot.
func Run(s *Snapshot) []Result {
	var out []Result
	for _, c := range catalog {
		for _, a := range s.Accounts {
			for _, r := range c.Run(s, a) {
				r.ID, r.Practice, r.Severity = c.ID, c.Practice, c.Severity
				if r.Fix == "" && r.Status == Fail {
					r.Fix = c.Fix
				}
				if r.Subject == "" {
					r.Subject = "account"
				}
				if a.Subuser != "" {
					r.Subject = "subuser " + a.Subuser + ": " + r.Subject
				}
				if r.Evidence == nil {
					r.Evidence = []string{}
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// Builders used by the checks; Run fills id, practice and severity.

func pass(detail string, ev ...string) Result {
	return Result{Status: Pass, Detail: detail, Evidence: ev}
}

func fail(subject, detail string, ev ...string) Result {
	return Result{Status: Fail, Subject: subject, Detail: detail, Evidence: ev}
}

func na(reason Gap) []Result {
	return []Result{{Status: NotAssessable, Detail: "not assessable: " + string(reason)}}
}

// eachItem is the shape of the checks that judge a list item by item: not
// assessable when the list could not be read (gap), else one failure per
// item judge fails, else one pass with passDetail.
func eachItem[T any](gap Gap, items []T, judge func(T) (Result, bool), passDetail string) []Result {
	if gap != "" {
		return na(gap)
	}
	var fails []Result
	for _, x := range items {
		if r, failed := judge(x); failed {
			fails = append(fails, r)
		}
	}
	return orPass(fails, passDetail)
}

// orPass returns the failures, or one pass result when there are none.
func orPass(fails []Result, detail string, ev ...string) []Result {
	if len(fails) > 0 {
		return fails
	}
	return []Result{pass(detail, ev...)}
}

func keySubject(k Key) string { return fmt.Sprintf("key %s %q", k.ID, k.Name) }

func scopeList(scopes []string, max int) string {
	s := append([]string(nil), scopes...)
	sort.Strings(s)
	if len(s) > max {
		return strings.Join(s[:max], ", ") + fmt.Sprintf(" … (%d in all)", len(s))
	}
	return strings.Join(s, ", ")
}
