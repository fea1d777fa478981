package audit

import "fmt"
import "net/netip"
import "slices"
import "strings"
import "time"

import "github.com/keyir/keyir/actions/sendgrid"

func checkNoAllowList(s *Snapshot, a *Account) []Result {
	if a.AllowListGap != "" {
		return na(a.AllowListGap)
	}
	if len(a.AllowList) == 0 {
		return []Result{fail("IP allow list", "no IP allow list: the account (and a stolen login) is reachable from any address", "GET /v3/access_settings/whitelist: 0 rules")}
	}
	return []Result{pass(fmt.Sprintf("%d allow-list rules", len(a.AllowList)))}
}

// wideEntry says why an allow-list entry admits too much, or "".
// Wildcards (10.*.*.*) and prefixes of /16 or wider (IPv4), /48 or wider
// (IPv6) count as very wide.
func wideEntry(ip string) string {
	ip = strings.TrimSpace(ip)
	if strings.Contains(ip, "*") {
		return "a wildcard"
	}
	if p, err := netip.ParsePrefix(ip); err == nil {
		if p.Addr().Is4() && p.Bits() <= 16 || p.Addr().Is6() && p.Bits() <= 48 {
			return fmt.Sprintf("a /%d range", p.Bits())
		}
	}
	return ""
}

func checkWideEntries(s *Snapshot, a *Account) []Result {
	if a.AllowListGap != "" {
		return na(a.AllowListGap)
	}
	var fails []Result
	for _, e := range a.AllowList {
		if why := wideEntry(e.IP); why != "" {
			fails = append(fails, fail("allow-list entry "+e.IP, "the entry is "+why+": it admits far more than your offices and servers", fmt.Sprintf("GET /v3/access_settings/whitelist: rule %d %s", e.ID, e.IP)))
		}
	}
	return orPass(fails, fmt.Sprintf("none of %d allow-list entries is a wildcard or wider than /17", len(a.AllowList)))
}

const recentAccess = 30 * 24 * time.Hour

func checkRefused(s *Snapshot, a *Account) []Result {
	if a.AccessGap != "" {
		return na(a.AccessGap)
	}
	var fails []Result
	seen := map[string]bool{}
	for _, e := range a.Access {
		if e.Allowed || s.Now.Sub(e.LastAt) > recentAccess || seen[e.IP] {
			continue
		}
		seen[e.IP] = true
		fails = append(fails, fail("address "+e.IP, fmt.Sprintf("access from %s (%s) was refused, last at %s", e.IP, e.Location, e.LastAt.Format(time.RFC3339)), "GET /v3/access_settings/activity: allowed=false ip="+e.IP))
	}
	return orPass(fails, fmt.Sprintf("no refused attempt among %d recent access records", len(a.Access)))
}

const newAddressWindow = 7 * 24 * time.Hour

func checkNewAddress(s *Snapshot, a *Account) []Result {
	if a.AccessGap != "" {
		return na(a.AccessGap)
	}
	first := map[string]time.Time{}
	for _, e := range a.Access {
		if !e.Allowed || e.FirstAt.IsZero() {
			continue
		}
		if f, ok := first[e.IP]; !ok || e.FirstAt.Before(f) {
			first[e.IP] = e.FirstAt
		}
	}
	var fails []Result
	for _, ip := range sortedKeys(first) {
		if f := first[ip]; s.Now.Sub(f) <= newAddressWindow {
			fails = append(fails, fail("address "+ip, fmt.Sprintf("%s got in for the first time on %s", ip, f.Format(time.RFC3339)), "GET /v3/access_settings/activity: first_at="+f.Format(time.RFC3339)))
		}
	}
	return orPass(fails, fmt.Sprintf("every one of %d addresses that got in was first seen more than 7 days ago", len(first)))
}

func plainHTTP(u string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(u)), "http://")
}

func checkEventHTTP(s *Snapshot, a *Account) []Result {
	return eachItem(a.WebhooksGap, a.Webhooks, func(w Webhook) (Result, bool) {
		return fail("event webhook "+sendgrid.RedactURL(w.URL), "events, recipient addresses among them, are posted in clear text", "GET /v3/user/webhooks/event/settings/all: id "+w.ID), plainHTTP(w.URL)
	}, fmt.Sprintf("all %d event webhooks use https", len(a.Webhooks)))
}

func checkParseHTTP(s *Snapshot, a *Account) []Result {
	return eachItem(a.ParseGap, a.Parse, func(p ParseHost) (Result, bool) {
		return fail("inbound parse "+p.Hostname, "inbound mail is posted in clear text to "+sendgrid.RedactURL(p.URL), "GET /v3/user/webhooks/parse/settings: hostname "+p.Hostname), plainHTTP(p.URL)
	}, fmt.Sprintf("all %d inbound parse hosts post over https", len(a.Parse)))
}

func checkUnsigned(s *Snapshot, a *Account) []Result {
	return eachItem(a.WebhooksGap, a.Webhooks, func(w Webhook) (Result, bool) {
		return fail("event webhook "+sendgrid.RedactURL(w.URL), "signature verification is off: the receiver cannot tell SendGrid's posts from forged ones", "GET /v3/user/webhooks/event/settings/all: id "+w.ID+" has no public_key"), w.Enabled && !w.Signed
	}, "every enabled event webhook is signed")
}

// trustedDomains are the --trusted-domain values, or else the domains of
// the account owner's address: the one domain known to be the company's.
func trustedDomains(s *Snapshot) (domains []string, source string) {
	if len(s.Trusted) > 0 {
		return s.Trusted, "--trusted-domain"
	}
	for _, a := range s.Accounts {
		if a.Subuser != "" {
			continue
		}
		for _, t := range a.Teammates {
			if t.UserType == "owner" {
				if i := strings.LastIndexByte(t.Email, '@'); i >= 0 {
					domains = append(domains, strings.ToLower(t.Email[i+1:]))
				}
			}
		}
	}
	return domains, "the account owner's address"
}

func checkForwarding(s *Snapshot, a *Account) []Result {
	dom, src := trustedDomains(s)
	if a.FwdBounceGap == "" && a.FwdSpamGap == "" && !a.FwdBounce.Enabled && !a.FwdSpam.Enabled {
		return []Result{pass("forward_bounce and forward_spam are off")}
	}
	if len(dom) == 0 {
		return na("no trusted domain known: pass --trusted-domain (the owner's address could not be read)")
	}
	var out []Result
	ok := 0
	for _, f := range []struct {
		name string
		v    Forward
		gap  Gap
	}{{"forward_bounce", a.FwdBounce, a.FwdBounceGap}, {"forward_spam", a.FwdSpam, a.FwdSpamGap}} {
		switch {
		case f.gap != "":
			out = append(out, Result{Status: NotAssessable, Subject: f.name, Detail: "not assessable: " + string(f.gap)})
		case f.v.Enabled && f.v.Email != "" && !sendgrid.Trusted(f.v.Email, dom):
			out = append(out, fail(f.name+" to "+f.v.Email, fmt.Sprintf("%s sends every %s message, with its recipients, outside the trusted domains (%s, from %s)", f.name, strings.TrimPrefix(f.name, "forward_"), strings.Join(dom, ", "), src), "GET /v3/mail_settings/"+f.name+": enabled, email "+f.v.Email))
		default:
			ok++
		}
	}
	if ok == 2 {
		return []Result{pass(fmt.Sprintf("forwarding is off or stays inside %s (from %s)", strings.Join(dom, ", "), src))}
	}
	return out
}

func checkAlertDest(s *Snapshot, a *Account) []Result {
	if a.AlertsGap != "" {
		return na(a.AlertsGap)
	}
	if !slices.ContainsFunc(a.Alerts, func(al Alert) bool { return al.EmailTo != "" }) {
		return []Result{pass("no alert mails anyone")}
	}
	dom, src := trustedDomains(s)
	if len(dom) == 0 {
		return na("no trusted domain known: pass --trusted-domain (the owner's address could not be read)")
	}
	var fails []Result
	for _, al := range a.Alerts {
		if al.EmailTo != "" && !sendgrid.Trusted(al.EmailTo, dom) {
			fails = append(fails, fail(fmt.Sprintf("%s alert %d", al.Type, al.ID), fmt.Sprintf("the alert mails %s, outside the trusted domains (%s, from %s)", al.EmailTo, strings.Join(dom, ", "), src), fmt.Sprintf("GET /v3/alerts: id %d email_to %s", al.ID, al.EmailTo)))
		}
	}
	return orPass(fails, fmt.Sprintf("all %d alerts mail the trusted domains (%s)", len(a.Alerts), strings.Join(dom, ", ")))
}

func checkUsageAlert(s *Snapshot, a *Account) []Result {
	if a.AlertsGap != "" {
		return na(a.AlertsGap)
	}
	for _, al := range a.Alerts {
		if al.Type == "usage_limit" {
			return []Result{pass(fmt.Sprintf("usage alert %d mails %s", al.ID, al.EmailTo))}
		}
	}
	return []Result{fail("alerts", "no usage_limit alert: a leaked key can burn the plan's credits unnoticed", fmt.Sprintf("GET /v3/alerts: %d alerts, none of type usage_limit", len(a.Alerts)))}
}
