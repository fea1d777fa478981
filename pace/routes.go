package pace

import "strings"

// Routes maps a request's concrete path to its route template
// ("/v3/api_keys/{api_key_id}"), the key of a provider that limits each
// endpoint on its own: DELETE /v3/api_keys/A and DELETE /v3/api_keys/B
// spend one window, and keying them apart would let every id draw its own
// 429.
type Routes struct {
	t [][]string
}

// NewRoutes takes templates whose parameter segments are written {name}.
func NewRoutes(templates ...string) *Routes {
	r := &Routes{}
	for _, t := range templates {
		r.t = append(r.t, strings.Split(strings.TrimPrefix(t, "/"), "/"))
	}
	return r
}

// Key is method and template ("DELETE /v3/api_keys/{api_key_id}") when a
// template matches path (query ignored), else method and path. Where
// several match, the one with the most literal segments wins
// (/v3/teammates/pending before /v3/teammates/{username}).
func (r *Routes) Key(method, path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	best, bestLit := -1, -1
	if r != nil {
		for i, t := range r.t {
			if lit, ok := match(t, segs); ok && lit > bestLit {
				best, bestLit = i, lit
			}
		}
	}
	if best < 0 {
		return method + " " + path
	}
	return method + " /" + strings.Join(r.t[best], "/")
}

// match reports whether segs fits template t, and how many of t's segments
// are literal.
func match(t, segs []string) (int, bool) {
	if len(t) != len(segs) {
		return 0, false
	}
	lit := 0
	for i, s := range t {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			if segs[i] == "" {
				return 0, false
			}
			continue
		}
		if s != segs[i] {
			return 0, false
		}
		lit++
	}
	return lit, true
}
