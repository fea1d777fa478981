package githubsim

import "encoding/base64"
import "errors"
import "fmt"
import "net/http"
import "net/url"
import "slices"
import "strconv"
import "strings"
import "time"

// Term is one qualifier of an audit log search phrase: key:value, or
// -key:value to exclude. For created, Op is one of > >= < <= = or ".."
// (a range From..To, either end "*"), with the bounds parsed.
type Term struct {
	Negate   bool
	Key      string
	Value    string
	Op       string
	From, To time.Time // created: inclusive lower and exclusive upper bound (zero = open)
}

// ParsePhrase parses the phrase parameter of GET /orgs/{org}/audit-log:
// space-separated key:value qualifiers, values optionally in double quotes
// (hashed_token:"…" must be, since base64 holds '+', '/' and '='). Dates are
// YYYY-MM-DD (a whole day) or RFC 3339 instants. A phrase it cannot read is
// an error (the simulator answers 422); a qualifier it does not know is
// kept, and matches no entry: GitHub's search finds nothing for it.
func ParsePhrase(phrase string) ([]Term, error) {
	if len(phrase) > 1024 {
		return nil, errors.New("phrase longer than 1024 characters")
	}
	var terms []Term
	i := 0
	for {
		for i < len(phrase) && phrase[i] == ' ' {
			i++
		}
		if i >= len(phrase) {
			return terms, nil
		}
		var t Term
		if phrase[i] == '-' {
			t.Negate = true
			i++
		}
		colon := strings.IndexAny(phrase[i:], ": ")
		if colon <= 0 || phrase[i+colon] != ':' {
			return nil, fmt.Errorf("%q is not a key:value qualifier", word(phrase[i:]))
		}
		t.Key = phrase[i : i+colon]
		i += colon + 1
		if i < len(phrase) && phrase[i] == '"' {
			end := strings.IndexByte(phrase[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote after %s: qualifier", t.Key)
			}
			t.Value = phrase[i+1 : i+1+end]
			i += end + 2
			if i < len(phrase) && phrase[i] != ' ' {
				return nil, fmt.Errorf("text after the closing quote of the %s: qualifier", t.Key)
			}
		} else {
			end := strings.IndexByte(phrase[i:], ' ')
			if end < 0 {
				end = len(phrase) - i
			}
			t.Value = phrase[i : i+end]
			i += end
		}
		if t.Value == "" {
			return nil, fmt.Errorf("%s: has no value", t.Key)
		}
		if t.Key == "created" {
			if err := t.parseCreated(); err != nil {
				return nil, err
			}
		}
		terms = append(terms, t)
	}
}

func word(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// parseCreated reads >=D, >D, <=D, <D, D, A..B (either end *).
func (t *Term) parseCreated() error {
	v := t.Value
	if a, b, ok := strings.Cut(v, ".."); ok {
		t.Op = ".."
		if a != "*" {
			lo, _, err := dateBounds(a)
			if err != nil {
				return err
			}
			t.From = lo
		}
		if b != "*" {
			_, hi, err := dateBounds(b)
			if err != nil {
				return err
			}
			t.To = hi
		}
		if !t.From.IsZero() && !t.To.IsZero() && t.To.Before(t.From) {
			return fmt.Errorf("created:%s ends before it starts", v)
		}
		return nil
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(v, op); ok {
			t.Op = op
			lo, hi, err := dateBounds(rest)
			if err != nil {
				return err
			}
			// >=D and <D are bounded where D starts, >D and <=D where it ends.
			bound := lo
			if op == ">" || op == "<=" {
				bound = hi
			}
			if op[0] == '>' {
				t.From = bound
			} else {
				t.To = bound
			}
			return nil
		}
	}
	t.Op = "="
	lo, hi, err := dateBounds(v)
	t.From, t.To = lo, hi
	return err
}

// dateBounds: a day is [00:00, next 00:00) UTC; an instant is [t, t+1s).
func dateBounds(s string) (time.Time, time.Time, error) {
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return d, d.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, t.Add(time.Second), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("created: %q is neither YYYY-MM-DD nor an RFC 3339 time", word(s))
}

// matches reports whether e satisfies every term.
func matches(e AuditEvent, terms []Term) bool {
	for _, t := range terms {
		if t.match(e) == t.Negate {
			return false
		}
	}
	return true
}

func (t Term) match(e AuditEvent) bool {
	switch t.Key {
	case "action":
		return e.Action == t.Value || strings.HasPrefix(e.Action, t.Value+".")
	case "actor":
		return e.Actor == t.Value
	case "user":
		return e.User == t.Value
	case "repo":
		return e.Repo == t.Value
	case "hashed_token":
		return e.HashedToken == t.Value
	case "created":
		return (t.From.IsZero() || !e.At.Before(t.From)) && (t.To.IsZero() || e.At.Before(t.To))
	}
	return false
}

// cursor is an entry's position: its time and document id, base64url.
func cursor(e AuditEvent) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(e.At.UnixMilli(), 10) + "|" + e.DocumentID))
}

func parseCursor(s string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 {
		return 0, "", errors.New("bad cursor")
	}
	ms, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", errors.New("bad cursor")
	}
	return n, id, nil
}

// auditLog is GET /orgs/{org}/audit-log: the entries the phrase selects,
// newest first (order=asc: oldest first), per_page up to 100, cursor pages
// (after/before) in the Link header.
func (s *Server) auditLog(c *call) response {
	doc := docsRoot + "/orgs/orgs#get-the-audit-log-for-an-organization"
	bad := func(msg string) response {
		return jsonResp(http.StatusUnprocessableEntity, map[string]any{"message": msg, "documentation_url": doc, "status": "422"})
	}
	terms, err := ParsePhrase(c.query["phrase"])
	if err != nil {
		return bad("Invalid search phrase: " + err.Error())
	}
	org := c.params["org"]
	s.st.mu.Lock()
	var es []AuditEvent
	for _, e := range s.st.audit {
		// Git events are in the log only when asked for (include=git or all).
		git := strings.HasPrefix(e.Action, "git.")
		inc := c.query["include"]
		if e.Org == org && matches(e, terms) && (inc == "all" || (inc == "git") == git) {
			es = append(es, e)
		}
	}
	o, _ := s.st.org(org)
	s.st.mu.Unlock()
	asc := c.query["order"] == "asc"
	less := func(a, b AuditEvent) int {
		if d := a.At.Compare(b.At); d != 0 {
			return d
		}
		return strings.Compare(a.DocumentID, b.DocumentID)
	}
	slices.SortFunc(es, func(a, b AuditEvent) int {
		if asc {
			return less(a, b)
		}
		return less(b, a)
	})
	// The window starts after (or ends before) the cursor's entry, in the current order.
	strictlyBefore := func(e, ref AuditEvent) bool {
		d := less(e, ref)
		return (asc && d < 0) || (!asc && d > 0)
	}
	at := func(cur string, after bool) (int, error) {
		ms, id, err := parseCursor(cur)
		if err != nil {
			return 0, err
		}
		ref := AuditEvent{At: time.UnixMilli(ms), DocumentID: id}
		i := slices.IndexFunc(es, func(e AuditEvent) bool {
			if after {
				return !strictlyBefore(e, ref) && less(e, ref) != 0
			}
			return !strictlyBefore(e, ref)
		})
		if i < 0 {
			i = len(es)
		}
		return i, nil
	}
	per := 30
	if v, err := strconv.Atoi(c.query["per_page"]); err == nil && v > 0 {
		per = min(v, 100)
	}
	lo, hi := 0, min(per, len(es))
	if a := c.query["after"]; a != "" {
		i, err := at(a, true)
		if err != nil {
			return bad("Invalid after cursor")
		}
		lo, hi = i, min(i+per, len(es))
	} else if b := c.query["before"]; b != "" {
		i, err := at(b, false)
		if err != nil {
			return bad("Invalid before cursor")
		}
		lo, hi = max(i-per, 0), i
	}
	pg := es[lo:hi]
	out := make([]map[string]any, 0, len(pg))
	for _, e := range pg {
		out = append(out, s.auditJSON(e, o))
	}
	h := http.Header{}
	link := func(key, cur, rel string) string {
		q := url.Values{}
		for k, v := range c.r.URL.Query() {
			if k != "after" && k != "before" {
				q[k] = v
			}
		}
		q.Set("per_page", strconv.Itoa(per))
		if key != "" {
			q.Set(key, cur)
		}
		return fmt.Sprintf("<%s%s?%s>; rel=%q", c.origin, c.r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if hi < len(es) && len(pg) > 0 {
		links = append(links, link("after", cursor(pg[len(pg)-1]), "next"))
	}
	if lo > 0 && len(pg) > 0 {
		links = append(links, link("before", cursor(pg[0]), "prev"))
	}
	links = append(links, link("", "", "first"))
	h.Set("Link", strings.Join(links, ", "))
	return jsonResp(http.StatusOK, out).With(h)
}

func (s *Server) auditJSON(e AuditEvent, o Org) map[string]any {
	out := map[string]any{}
	for k, v := range e.Fields {
		out[k] = v
	}
	ms := e.At.UnixMilli()
	out["@timestamp"] = ms
	out["created_at"] = ms
	out["_document_id"] = e.DocumentID
	out["action"] = e.Action
	out["actor"] = e.Actor
	if u, ok := s.st.User(e.Actor); ok {
		out["actor_id"] = u.ID
	}
	out["org"] = e.Org
	out["org_id"] = o.ID
	if e.Repo != "" {
		out["repo"] = e.Repo
	}
	if e.User != "" {
		out["user"] = e.User
	}
	if e.HashedToken != "" {
		out["hashed_token"] = e.HashedToken
		out["token_id"] = e.TokenID
		out["programmatic_access_type"] = e.ProgrammaticAccessType
	}
	return out
}
