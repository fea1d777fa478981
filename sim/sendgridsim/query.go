package sendgridsim

import "fmt"
import "slices"
import "sort"
import "strings"
import "time"

// Query is a parsed Email Activity query (the query parameter of GET /v3/messages). The
// simulator understands the subset keyir uses:
//
//	field="value"            field: api_key_id, msg_id, status, to_email, from_email, subject
//	last_event_time BETWEEN TIMESTAMP "RFC3339" AND TIMESTAMP "RFC3339"   (inclusive)
//	a AND b, a OR b, (a)     AND binds tighter than OR; keywords are case-insensitive
//
// The empty query matches every message. Anything else is an error naming the problem.
type Query struct{ root node }

// Match reports whether m satisfies the query.
func (q Query) Match(m Message) bool { return q.root == nil || q.root.match(m) }

// String renders the query in canonical form.
func (q Query) String() string {
	if q.root == nil {
		return ""
	}
	return q.root.String()
}

type node interface {
	match(Message) bool
	String() string
}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type eqNode struct{ field, value string }
type betweenNode struct{ from, to time.Time }

func (n andNode) match(m Message) bool { return n.l.match(m) && n.r.match(m) }
func (n orNode) match(m Message) bool  { return n.l.match(m) || n.r.match(m) }
func (n andNode) String() string       { return "(" + n.l.String() + " AND " + n.r.String() + ")" }
func (n orNode) String() string        { return "(" + n.l.String() + " OR " + n.r.String() + ")" }
func (n eqNode) String() string        { return n.field + "=" + quote(n.value) }
func (n betweenNode) String() string {
	return "last_event_time BETWEEN TIMESTAMP " + quote(n.from.Format(time.RFC3339Nano)) +
		" AND TIMESTAMP " + quote(n.to.Format(time.RFC3339Nano))
}

// quote renders a string literal the lexer reads back: backslash escapes \ and \".
func quote(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }

func (n eqNode) match(m Message) bool { return queryFields[n.field](m, n.value) }

// match compares at the resolution the API shows last_event_time (whole
// seconds, RFC 3339): a message listed at T is matched by BETWEEN T AND T.
// Comparing a row's hidden sub-second part instead would put it between
// two windows that meet at a second (… AND T, T+1s AND …) and in neither.
func (n betweenNode) match(m Message) bool {
	t := m.LastEventTime.Truncate(time.Second)
	return !t.Before(n.from) && !t.After(n.to)
}

// queryFields are the fields accepted in field="value" terms, each with how
// a message matches a value (addresses without regard to case).
var queryFields = map[string]func(m Message, v string) bool{
	"api_key_id": func(m Message, v string) bool { return m.APIKeyID == v },
	"msg_id":     func(m Message, v string) bool { return m.ID == v },
	"status":     func(m Message, v string) bool { return m.Status == v },
	"to_email":   func(m Message, v string) bool { return strings.EqualFold(m.To, v) },
	"from_email": func(m Message, v string) bool { return strings.EqualFold(m.From, v) },
	"subject":    func(m Message, v string) bool { return m.Subject == v },
}

// maxQueryDepth bounds nesting of parentheses.
const maxQueryDepth = 32

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tLParen
	tRParen
	tEq
	tOp // any other operator character(s): reported as unsupported
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == '=':
			out = append(out, token{tEq, "=", i})
			i++
		case c == '"':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string starting at position %d", start)
			}
			out = append(out, token{tString, b.String(), start})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.':
			start := i
			for i < len(s) && (s[i] == '_' || s[i] == '.' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
				i++
			}
			out = append(out, token{tIdent, s[start:i], start})
		case strings.IndexByte("!<>'", c) >= 0:
			start := i
			for i < len(s) && strings.IndexByte("!<>=", s[i]) >= 0 {
				i++
			}
			if i == start {
				i++
			}
			out = append(out, token{tOp, s[start:i], start})
		default:
			return nil, fmt.Errorf("unexpected character %q at position %d", c, i)
		}
	}
	return append(out, token{tEOF, "", len(s)}), nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i = min(p.i+1, len(p.toks)-1); return t }

func (p *parser) keyword(k string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, k) {
		p.next()
		return true
	}
	return false
}

// ParseQuery parses an Email Activity query; see Query.
func ParseQuery(s string) (Query, error) {
	if strings.TrimSpace(s) == "" {
		return Query{}, nil
	}
	toks, err := lex(s)
	if err != nil {
		return Query{}, fmt.Errorf("invalid query: %w", err)
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err != nil {
		return Query{}, fmt.Errorf("invalid query: %w", err)
	}
	if t := p.peek(); t.kind != tEOF {
		return Query{}, fmt.Errorf("invalid query: unexpected %q at position %d", t.text, t.pos)
	}
	return Query{root: n}, nil
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) term() (node, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if p.depth++; p.depth > maxQueryDepth {
			return nil, fmt.Errorf("parentheses nested too deeply at position %d", t.pos)
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, fmt.Errorf("missing ) at position %d", c.pos)
		}
		p.depth--
		return n, nil
	case tIdent:
	case tEOF:
		return nil, fmt.Errorf("unexpected end of query, expected a condition")
	default:
		return nil, fmt.Errorf("unexpected %q at position %d, expected a field name", t.text, t.pos)
	}
	field := strings.ToLower(t.text)
	if field == "last_event_time" {
		return p.between(t)
	}
	if queryFields[field] == nil {
		return nil, fmt.Errorf("unknown or unsupported field %q at position %d", t.text, t.pos)
	}
	switch op := p.next(); op.kind {
	case tEq:
	case tEOF:
		return nil, fmt.Errorf("unexpected end of query after %s, expected =", t.text)
	default:
		return nil, fmt.Errorf("unsupported operator %q at position %d (only = is supported for %s)", op.text, op.pos, t.text)
	}
	v := p.next()
	if v.kind != tString {
		return nil, fmt.Errorf("expected a double-quoted value for %s at position %d", t.text, v.pos)
	}
	return eqNode{field, v.text}, nil
}

func (p *parser) between(field token) (node, error) {
	if !p.keyword("BETWEEN") {
		t := p.peek()
		return nil, fmt.Errorf("unsupported comparison for last_event_time at position %d (use BETWEEN TIMESTAMP \"…\" AND TIMESTAMP \"…\")", t.pos)
	}
	ts := func() (time.Time, error) {
		t := p.peek()
		if !p.keyword("TIMESTAMP") {
			return time.Time{}, fmt.Errorf("expected TIMESTAMP at position %d", t.pos)
		}
		v := p.next()
		if v.kind != tString {
			return time.Time{}, fmt.Errorf("expected a double-quoted RFC 3339 time at position %d", v.pos)
		}
		tm, err := time.Parse(time.RFC3339, v.text)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid timestamp %q at position %d: want RFC 3339", v.text, v.pos)
		}
		return tm, nil
	}
	from, err := ts()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); !p.keyword("AND") {
		return nil, fmt.Errorf("expected AND at position %d", t.pos)
	}
	to, err := ts()
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, fmt.Errorf("last_event_time range ends before it starts (position %d)", field.pos)
	}
	return betweenNode{from, to}, nil
}

// activityPage is the answer of GET /v3/messages: at most limit of the
// account's rows matching q. The spec promises no order, so neither does the
// simulator: the matches are shuffled, the same way for the same seed and
// salt (the request), so a client that assumes newest-first (and treats a
// full page as "everything before the oldest row") is caught. The rows are
// matched in place and their positions shuffled, not copies of every row:
// the same permutation, without copying the whole table per query (which
// cost the 200,000-message benchmark's floor and keyir alike).
func (s *State) activityPage(acct string, q Query, limit int, seed uint64, salt string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var idx []int
	if from, to, ok := q.timeBounds(); ok {
		// Only rows in [from, to] can match: read them from the time index
		// instead of every row, then restore insertion order, so the
		// shuffle below gives the same answer the full scan did.
		by := s.timeIndex()
		at := func(i int) time.Time { return s.messages[by[i]].LastEventTime.Truncate(time.Second) }
		lo := sort.Search(len(by), func(i int) bool { return !at(i).Before(from) })
		hi := sort.Search(len(by), func(i int) bool { return at(i).After(to) })
		for _, i := range by[lo:max(lo, hi)] {
			if m := &s.messages[i]; m.Subuser == acct && q.Match(*m) {
				idx = append(idx, i)
			}
		}
		slices.Sort(idx)
	} else {
		for i := range s.messages {
			if m := &s.messages[i]; m.Subuser == acct && q.Match(*m) {
				idx = append(idx, i)
			}
		}
	}
	shuffle(seed, idx, salt)
	if len(idx) > limit {
		idx = idx[:limit]
	}
	ms := make([]Message, len(idx))
	for i, j := range idx {
		ms[i] = s.messages[j]
	}
	return ms
}

// timeIndex is the positions of s.messages sorted by last_event_time (at
// the second it is listed at), rebuilt when rows were added (rows are only
// ever appended). s.mu is held.
func (s *State) timeIndex() []int {
	if len(s.byTime) != len(s.messages) {
		s.byTime = make([]int, len(s.messages))
		for i := range s.byTime {
			s.byTime[i] = i
		}
		slices.SortStableFunc(s.byTime, func(a, b int) int {
			return s.messages[a].LastEventTime.Truncate(time.Second).Compare(s.messages[b].LastEventTime.Truncate(time.Second))
		})
	}
	return s.byTime
}

// timeBounds is the last_event_time range every match of q lies in, when
// q has one: a BETWEEN, or an AND with a BETWEEN on either side (their
// intersection). An OR, or no BETWEEN, bounds nothing.
func (q Query) timeBounds() (from, to time.Time, ok bool) { return bounds(q.root) }

func bounds(n node) (from, to time.Time, ok bool) {
	switch n := n.(type) {
	case betweenNode:
		return n.from, n.to, true
	case andNode:
		lf, lt, lok := bounds(n.l)
		rf, rt, rok := bounds(n.r)
		switch {
		case lok && rok:
			if rf.After(lf) {
				lf = rf
			}
			if rt.Before(lt) {
				lt = rt
			}
			return lf, lt, true
		case lok:
			return lf, lt, true
		case rok:
			return rf, rt, true
		}
	}
	return time.Time{}, time.Time{}, false
}
