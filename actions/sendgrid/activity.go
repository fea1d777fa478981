package sendgrid

import "context"
import "fmt"
import "net/url"
import "slices"
import "sort"
import "strconv"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// activityInfo declares sendgrid.activity; provider.go registers it.
var activityInfo = actions.Info{
	Name:    "sendgrid.activity",
	Summary: "Count the mail sent with the leaked key in the exposure window (Email Activity; complete despite its 1000-row cap)",
	Outputs: []actions.Output{
		{Name: "messages", Type: actions.TypeInt, Description: "messages sent with the key in the window"},
		{Name: "recipients", Type: actions.TypeInt, Description: "distinct recipients"},
		{Name: "domains", Type: "list", Description: "top recipient domains: [{name, count}]"},
		{Name: "subjects", Type: "list", Description: "top subjects: [{name, count}]"},
		{Name: "statuses", Type: "list", Description: "messages by status: [{name, count}]"},
		{Name: "queries", Type: actions.TypeInt, Description: "Email Activity queries made"},
		{Name: "complete", Type: actions.TypeBool, Description: "false when some instant held more messages than one query returns"},
		{Name: "assessable", Type: actions.TypeBool, Description: "false without the Email Activity add-on or the scope to read it"},
	},
	New: func() actions.Action { return &Activity{PageSize: activityCap} },
}

// activityCap is the most messages one Email Activity query returns; there is
// no pagination.
const activityCap = 1000

// Activity retrieves every message the key sent in the window.
//
// Strategy: Email Activity returns at most 1000 messages per query, newest
// last_event_time first, and has no pagination. A query that returns fewer
// than the cap is complete. When it returns the cap, every message newer than
// the oldest one returned is complete, so the next query narrows the window's
// end to that oldest instant (inclusive: messages sharing it may not all have
// been returned) and skips the msg_ids already counted at that instant. Each
// query thus adds ~1000 new messages and N messages take ceil(N/1000) queries
// (+1 when N is an exact multiple). If a capped answer is not sorted newest
// first (the spec promises no order), the window is listed by a sweep
// instead (activity_sweep.go): windows sized from the message rate already
// listed, checked against the capped answer as a sample; about 1.1 times
// the ideal number of queries. If a single second holds more messages than
// the cap, the extra messages at that instant cannot be listed: the result is
// marked incomplete and retrieval goes on below that second.
type Activity struct {
	KeyID       string    `param:"key_id,required" desc:"the leaked key's id"`
	WindowStart time.Time `param:"window_start" desc:"start of the exposure window (default: window_end minus 7 days)"`
	WindowEnd   time.Time `param:"window_end" desc:"end of the exposure window (default: now)"`
	Subuser     string    `param:"subuser" desc:"subuser that holds the key, when no earlier step of the run recorded the owner"`
	PageSize    int       `param:"page_size" default:"1000" desc:"messages per query, 1 to 1000 (the API's cap)"`
	Region      string    `param:"region" desc:"override of the owning account's region (global or eu)"`
}

// Validate checks the id, window and page size.
func (a *Activity) Validate() error {
	if err := checkKeyID("key_id", a.KeyID); err != nil {
		return err
	}
	if !a.WindowStart.IsZero() && !a.WindowEnd.IsZero() && !a.WindowStart.Before(a.WindowEnd) {
		return &actions.ParamError{Param: "window_start", Msg: "must be before window_end"}
	}
	if a.PageSize < 0 || a.PageSize > activityCap {
		return &actions.ParamError{Param: "page_size", Msg: fmt.Sprintf("want 1 to %d, got %d", activityCap, a.PageSize)}
	}
	return checkRegion(a.Region)
}

// window resolves the defaults: end = now, start = end - 7 days.
func window(env *actions.Env, start, end time.Time, def time.Duration) (time.Time, time.Time) {
	if end.IsZero() {
		if env.Now != nil {
			end = env.Now()
		} else {
			end = time.Now()
		}
	}
	if start.IsZero() {
		start = end.Add(-def)
	}
	return start.UTC(), end.UTC()
}

type message struct {
	MsgID         string `json:"msg_id"`
	FromEmail     string `json:"from_email"`
	ToEmail       string `json:"to_email"`
	Subject       string `json:"subject"`
	Status        string `json:"status"`
	LastEventTime string `json:"last_event_time"`
	OpensCount    int    `json:"opens_count"`
	ClicksCount   int    `json:"clicks_count"`
}

// Counted is one row of a top list.
type Counted struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// tally keeps aggregates only, never the messages.
type tally struct {
	messages   int
	recipients hashSet
	domains    counts
	subjects   counts
	statuses   counts
}

// counts counts names. Its keys are copied once, when first seen: a name
// is a view of an answer's body (activityPage), and m[k]++ on a
// map[string]int stores the key it is given again each time, which would
// keep every body alive.
type counts map[string]*int

func (c counts) get(k string) int {
	if p := c[k]; p != nil {
		return *p
	}
	return 0
}

const (
	maxDomains  = 50000
	maxSubjects = 10000
	otherBucket = "(other)"
)

func newTally() *tally {
	return &tally{domains: counts{}, subjects: counts{}, statuses: counts{}}
}

// bump counts k, or otherBucket once limit names are counted.
func bump(m counts, k string, limit int) {
	if p := m[k]; p != nil {
		*p++
		return
	}
	if len(m) >= limit {
		k = otherBucket
		if p := m[k]; p != nil {
			*p++
			return
		}
	}
	n := 1
	m[keep(k)] = &n
}

func (t *tally) add(m message) {
	t.messages++
	to := strings.ToLower(strings.TrimSpace(m.ToEmail))
	t.recipients.add(fnv64a(to))
	dom := "(none)"
	if i := strings.LastIndexByte(to, '@'); i >= 0 {
		dom = to[i+1:]
	}
	bump(t.domains, dom, maxDomains)
	bump(t.subjects, m.Subject, maxSubjects)
	bump(t.statuses, m.Status, 64)
}

// fnv64a is hash/fnv's 64-bit FNV-1a of s, without its allocations.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func top(m counts, n int) []Counted {
	out := make([]Counted, 0, len(m))
	for k, v := range m {
		out = append(out, Counted{k, *v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func activityQuery(keyID string, start, end time.Time) string {
	return fmt.Sprintf(`api_key_id="%s" AND last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`,
		keyID, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
}

func messagesEndpoint(q string, limit int) string {
	return fmt.Sprintf("/v3/messages?limit=%d&query=%s", limit, strings.ReplaceAll(url.QueryEscape(q), "+", "%20"))
}

// span is a closed window [start, end] at one-second resolution; skip holds
// msg_ids already counted at its end instant. A span with a sweep is the
// rest of a span whose first answer was capped and unsorted: it is listed
// a window at a time (see sweep).
type span struct {
	start, end time.Time
	skip       map[string]bool
	sw         *sweep
}

// pageRecordedWhole: a page whose body is larger than this is written to
// the activity's evidence row by row, since the transport's record of the
// exchange may be clipped (transport.Options.MaxBodyRecord, 1 MiB by
// default; redaction can lengthen a body, hence the margin).
const pageRecordedWhole = 1 << 19

// activityRetention is how far back Email Activity keeps messages.
const activityRetention = 30 * 24 * time.Hour

// lastEventNote is how the window is matched, said in every finding.
const lastEventNote = "Messages are matched on last_event_time (the time of each message's latest event, as the Email Activity API filters), not on when they were sent: a message sent before the window whose last event falls in it is counted, and one sent in the window whose last event came later is not."

// Run retrieves and aggregates the messages.
func (a *Activity) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	start, end := window(env, a.WindowStart, a.WindowEnd, 7*24*time.Hour)
	start, end = start.Truncate(time.Second), ceilSecond(end)
	if !start.Before(end) {
		// Validate cannot see this when window_end defaults to now: a
		// window_start in the future would build a query the API refuses.
		return nil, &actions.ParamError{Param: "window_start", Msg: fmt.Sprintf("must be before the window's end (%s)", end.Format(time.RFC3339))}
	}
	// GET /v3/messages declares neither on-behalf-of nor an EU server: a
	// subuser's or an EU account's key cannot be searched for, and asking
	// anyway would search the parent's mail and read as "no mail sent".
	acct := assessAccount(env, a.KeyID, a.Subuser, a.Region)
	if acct.Subuser != "" || normRegion(acct.Region) == RegionEU {
		return a.cannotAssess(env, fmt.Sprintf("the key is held by %s, and the Email Activity API (GET /v3/messages) declares neither on-behalf-of nor an EU host, so it can only search the parent account's global mail", acct),
			fmt.Sprintf("In the SendGrid app, switch to %s, open Activity and filter on the API key id %s from %s to %s (Email Activity keeps 30 days), or ask SendGrid support for the key's sending history; the stats step shows the account's volume.", acctName(acct), a.KeyID, start.Format(time.RFC3339), end.Format(time.RFC3339))), nil
	}
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	limit := a.PageSize
	if limit <= 0 {
		limit = activityCap
	}
	// Email Activity keeps 30 days: a window reaching further back is
	// clipped, and the report says what was not searched.
	oldest := nowOf(env).Add(-activityRetention).Truncate(time.Second).Add(time.Second)
	if !end.After(oldest) {
		return a.cannotAssess(env, fmt.Sprintf("the whole window (%s to %s) is older than Email Activity's 30-day retention", start.Format(time.RFC3339), end.Format(time.RFC3339)),
			"Ask SendGrid support for the key's sending history, and check the stats step for the account's volume in the window."), nil
	}
	if start.Before(oldest) {
		env.Finding(report.Finding{
			Kind: "activity.window_clipped", Subject: a.KeyID, Severity: report.Medium,
			Title:  "Part of the window is past Email Activity's 30-day retention",
			Detail: fmt.Sprintf("Email Activity keeps 30 days of messages: only %s to %s was searched; %s to %s could not be. Ask SendGrid support for the key's sending before %s, and check the stats step for the volume.", oldest.Format(time.RFC3339), end.Format(time.RFC3339), start.Format(time.RFC3339), oldest.Format(time.RFC3339), oldest.Format(time.RFC3339)),
		})
		start = oldest
	}
	// Each answer is redacted and recorded while it is decoded and the
	// next query is sent (transport.Pipelined): keyir's CPU then overlaps
	// the API's time. settle before returning, so the step's evidence holds
	// every exchange when the step ends.
	ctx, settle := transport.Pipelined(ctx)
	defer settle()
	t := newTally()
	queries := 0
	complete := true
	stack := []span{{start: start, end: end}}
	// page and times are reused from query to query (nothing keeps them
	// past their own: see activityPage), sparing 180 KB of garbage a query.
	var page activityPage
	var times []time.Time
	for len(stack) > 0 {
		sp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		// q is the window queried: the span, or a sweep's next window.
		q := sp
		if sp.sw != nil {
			q = span{start: sp.start, end: sp.sw.next(sp.start, sp.end)}
			if q.end.Equal(sp.end) {
				q.skip = sp.skip
			}
		}
		queries++
		c.progress(fmt.Sprintf("email activity query %d: %s to %s (%d messages so far)", queries, q.start.Format(time.RFC3339), q.end.Format(time.RFC3339), t.messages))
		resp, err := c.get(ctx, messagesEndpoint(activityQuery(a.KeyID, q.start, q.end), limit), &page)
		if err != nil {
			if queries == 1 {
				if out, ok := a.notAssessable(ctx, env, err); ok {
					return out, nil
				}
			}
			return a.outputs(t, queries, false, true), fmt.Errorf("email activity: %w", err)
		}
		ms := page.Messages
		full := len(ms) >= limit
		if sp.sw != nil {
			sp.sw.free = remaining(resp)
		}
		// Parse times; check the order the strategy relies on.
		times = slices.Grow(times[:0], len(ms))[:len(ms)]
		sorted := true
		oldest := q.end
		for i, m := range ms {
			ts, perr := time.Parse(time.RFC3339Nano, m.LastEventTime)
			if perr != nil {
				ts = q.start
			}
			times[i] = ts.UTC()
			if i > 0 && times[i].After(times[i-1]) {
				sorted = false
			}
			if times[i].Before(oldest) {
				oldest = times[i]
			}
		}
		if full && !sorted && q.end.After(q.start) {
			// Unsorted and capped: nothing in the page is known complete,
			// and the page is a sample of the window's messages. A span's
			// first such answer starts a sweep over it; a sweep's window
			// that overflowed is cut again at its own sample.
			if sp.sw == nil {
				stack = append(stack, span{start: q.start, end: q.end, skip: q.skip, sw: newSweep(ms, times, limit)})
			} else {
				sp.sw.overflowed(q.start, q.end, ms, times)
				stack = append(stack, sp)
			}
			continue
		}
		if sp.sw != nil && q.end.Before(sp.end) {
			// The rest of the sweep, after this window (and after what a
			// capped, sorted answer below pushes on top of it).
			stack = append(stack, span{start: q.end.Add(time.Second), end: sp.end, skip: sp.skip, sw: sp.sw})
		}
		if sp.sw != nil && !full {
			sp.sw.listed(q.start, q.end, len(ms))
		}
		// Count this page, skipping messages counted by the previous query.
		// The page itself is already evidence (the HTTP exchange, body
		// included, recorded by the transport): this record says how it was
		// read, naming only the rows skipped. Writing every row again cost
		// a JSON encoding and a redaction pass per page, 15 % of the CPU of
		// a 200,000-message run.
		// A page too large for the transport's record (it keeps 1 MiB of a
		// body by default) is still written here whole.
		var skipped []string
		var kept []message
		whole := resp != nil && len(resp.Body) > pageRecordedWhole
		for _, m := range ms {
			if q.skip[m.MsgID] {
				skipped = append(skipped, m.MsgID)
				continue
			}
			t.add(m)
			if whole {
				kept = append(kept, m)
			}
		}
		rec := map[string]any{"query": queries, "window_start": q.start, "window_end": q.end, "returned": len(ms), "new": len(ms) - len(skipped), "skipped": skipped}
		if whole {
			rec["messages"] = kept
		}
		_, _ = evidence(env, "email_activity_page", rec)
		if !full {
			continue
		}
		boundary := oldest.Truncate(time.Second)
		if !boundary.Before(q.end) || len(skipped) == len(ms) {
			// The whole page sits at one instant: more messages than the cap
			// share it. They cannot all be listed; go on below it.
			complete = false
			note(env, fmt.Sprintf("email activity: %s holds more than %d messages; some at that instant could not be listed", boundary.Format(time.RFC3339), limit))
			if next := boundary.Add(-time.Second); !next.Before(q.start) {
				stack = append(stack, span{start: q.start, end: next})
			}
			continue
		}
		skip := map[string]bool{}
		for i, m := range ms {
			if !times[i].Before(boundary) {
				skip[keep(m.MsgID)] = true
			}
		}
		if q.end.Equal(boundary) {
			for id := range q.skip {
				skip[id] = true
			}
		}
		stack = append(stack, span{start: q.start, end: boundary, skip: skip})
	}
	out := a.outputs(t, queries, complete, true)
	a.findings(env, t, start, end)
	return out, nil
}

// remaining is the answer's X-RateLimit-Remaining, or -1.
func remaining(resp *Response) int {
	if resp != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining"))); err == nil && n >= 0 {
			return n
		}
	}
	return -1
}

func ceilSecond(t time.Time) time.Time {
	if tt := t.Truncate(time.Second); !tt.Equal(t) {
		return tt.Add(time.Second)
	}
	return t
}

func acctName(a Account) string {
	if a.Subuser == "" {
		return "the parent account"
	}
	return "subuser " + a.Subuser
}

// cannotAssess records why Email Activity cannot say what the key sent, and
// what to check by hand: never "no mail sent".
func (a *Activity) cannotAssess(env *actions.Env, why, byHand string) actions.Outputs {
	env.Finding(report.Finding{
		Kind: "activity.not_assessable", Subject: a.KeyID, Severity: report.Medium,
		Title:  "What the key sent could not be assessed",
		Detail: firstUpper(why) + ". " + byHand,
	})
	return a.outputs(newTally(), 0, false, false)
}

// notAssessable turns "no add-on" (400/401 authorization required while the
// responder key is otherwise valid), 403 and 404 into a finding.
func (a *Activity) notAssessable(ctx context.Context, env *actions.Env, err error) (actions.Outputs, bool) {
	st := statusOf(err)
	why := ""
	switch {
	case st == 403:
		why = "the responder key may not read Email Activity (messages.read)"
	case st == 404:
		why = "the Email Activity API answered 404 (not available for this account or region)"
	case (st == 400 || st == 401) && authRequired(err):
		if st == 401 {
			// Only an add-on problem if the responder key itself is valid.
			c, cerr := newClient(env, RegionGlobal, "")
			if cerr != nil {
				return nil, false
			}
			if _, serr := c.get(ctx, "/v3/scopes", nil); serr != nil {
				return nil, false
			}
		}
		why = "the account does not have the Email Activity add-on (the API answered \"authorization required\")"
	default:
		return nil, false
	}
	env.Finding(report.Finding{
		Kind: "activity.not_assessable", Subject: a.KeyID, Severity: report.Medium,
		Title:  "What the key sent could not be assessed",
		Detail: why + ": " + err.Error() + ". Check the key's mail by hand in the SendGrid app (Activity, filtered on the API key id " + a.KeyID + "), check the stats step for volume, and ask SendGrid support for the key's sending history.",
	})
	out := a.outputs(newTally(), 1, false, false)
	return out, true
}

func (a *Activity) outputs(t *tally, queries int, complete, assessable bool) actions.Outputs {
	return actions.Outputs{
		"messages": t.messages, "recipients": t.recipients.len(),
		"domains": top(t.domains, 10), "subjects": top(t.subjects, 10), "statuses": top(t.statuses, 0),
		"queries": queries, "complete": complete, "assessable": assessable,
	}
}

func (a *Activity) findings(env *actions.Env, t *tally, start, end time.Time) {
	win := fmt.Sprintf("%s to %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	if t.messages == 0 {
		env.Finding(report.Finding{
			Kind: "activity.none", Subject: a.KeyID, Severity: report.Info,
			Title:  "No mail sent with the key in the window",
			Detail: "Email Activity lists no message sent with this key from " + win + ". " + lastEventNote,
		})
		return
	}
	bad := 0
	for _, st := range []string{"not_delivered", "bounce", "bounced", "dropped", "spamreport", "spam_report"} {
		bad += t.statuses.get(st)
	}
	sev := report.Medium
	if t.recipients.len() > 100 || bad*5 >= t.messages {
		sev = report.High
	}
	list := func(cs []Counted) string {
		parts := make([]string, 0, len(cs))
		for _, c := range cs {
			parts = append(parts, fmt.Sprintf("%s (%s)", c.Name, report.FormatCount(int64(c.Count))))
		}
		return strings.Join(parts, ", ")
	}
	detail := fmt.Sprintf("%s messages sent by this key in the window (%s) to %s distinct recipients; top domains %s; top subjects %s; statuses %s. %s",
		report.FormatCount(int64(t.messages)), win, report.FormatCount(int64(t.recipients.len())), list(top(t.domains, 5)), list(top(t.subjects, 3)), list(top(t.statuses, 0)), lastEventNote)
	env.Finding(report.Finding{
		Kind: "activity.messages_sent", Subject: a.KeyID, Severity: sev,
		Title:  fmt.Sprintf("%s messages sent with the leaked key to %s recipients", report.FormatCount(int64(t.messages)), report.FormatCount(int64(t.recipients.len()))),
		Detail: detail,
	})
}

var (
	_ actions.Action    = (*Activity)(nil)
	_ actions.Validator = (*Activity)(nil)
)
