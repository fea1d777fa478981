package sendgrid

import "context"
import "fmt"
import "slices"
import "sort"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/transport"

// Reader is the responder's client for `keyir audit`: GET only, through the
// same request, retry and region machinery as the actions, so an audit works
// unchanged under the dry-run transport.
type Reader struct {
	c *Client
	// eu is the same key on the EU host, which alone serves an EU regional
	// subuser's data (nil when that host is not known: SENDGRID_API_URL set
	// without SENDGRID_API_URL_EU).
	eu *Client
	// euSubusers are the subusers served by the EU host (SetEUSubusers).
	euSubusers map[string]bool
}

// NewReader authenticates with SENDGRID_API_KEY (or SENDGRID_API_KEY_FILE);
// the region comes from SENDGRID_REGION unless SENDGRID_API_URL is set.
func NewReader(env *actions.Env) (*Reader, error) {
	c, err := newClient(env, strings.TrimSpace(env.Lookup(EnvRegion)), "")
	if err != nil {
		return nil, err
	}
	r := &Reader{c: c}
	switch raw := strings.TrimSpace(env.Lookup(EnvAPIURLEU)); {
	case raw != "":
		if err := transport.CheckBaseURL(EnvAPIURLEU, raw); err != nil {
			return nil, err
		}
		eu := *c
		eu.host = strings.TrimRight(raw, "/")
		r.eu = &eu
	case strings.TrimSpace(env.Lookup(EnvAPIURL)) == "":
		eu := *c
		eu.host = EUURL
		r.eu = &eu
	}
	return r, nil
}

// SetEUSubusers names the subusers whose data the EU host serves.
func (r *Reader) SetEUSubusers(names []string) {
	r.euSubusers = map[string]bool{}
	for _, n := range names {
		r.euSubusers[n] = true
	}
}

// client is the client for an account: the EU host for an EU subuser.
func (r *Reader) client(subuser string) *Client {
	if subuser != "" && r.euSubusers[subuser] && r.eu != nil {
		return r.eu.onBehalfOf(subuser)
	}
	return r.c.onBehalfOf(subuser)
}

// SubuserRegions lists the parent's subusers with their region ("global" or
// "eu"), paging GET /v3/subusers with include_region=true.
func (r *Reader) SubuserRegions(ctx context.Context) (map[string]string, error) {
	const size = 500
	out := map[string]string{}
	for off := 0; off < 100*size; off += size {
		var rows []struct {
			Username string `json:"username"`
			Region   string `json:"region"`
		}
		if _, err := r.c.get(ctx, fmt.Sprintf("/v3/subusers?include_region=true&limit=%d&offset=%d", size, off), &rows); err != nil {
			return out, err
		}
		for _, row := range rows {
			reg := row.Region
			if reg == "" {
				reg = "global"
			}
			out[row.Username] = reg
		}
		if len(rows) < size {
			break
		}
	}
	return out, nil
}

// KeyID is the id of the responder key itself (its middle segment), so an
// audit can tell the responder's own, deliberately granted scopes apart.
func (r *Reader) KeyID() string {
	if m := APIKey.Match(r.c.key); m != nil {
		return m[1]
	}
	return ""
}

// Get reads endpoint (a path with an already-escaped query) for subuser
// ("" = the key's own account; on-behalf-of otherwise) and decodes the 2xx
// body into out. A non-2xx answer is an *APIError (see StatusOf).
func (r *Reader) Get(ctx context.Context, subuser, endpoint string, out any) error {
	_, err := r.client(subuser).get(ctx, endpoint, out)
	return err
}

// StatusOf is the HTTP status of an API error in err's chain, or 0.
func StatusOf(err error) int { return statusOf(err) }

// AuthRequired reports an answer saying "authorization required": what
// SendGrid answers for an add-on (Email Activity) the account lacks.
func AuthRequired(err error) bool { return authRequired(err) }

// MessagesEndpoint is the Email Activity query for messages sent with keyID
// between start and end (the same query sendgrid.activity sends).
func MessagesEndpoint(keyID string, start, end time.Time, limit int) string {
	return messagesEndpoint(activityQuery(keyID, start, end), limit)
}

// auditSurfaces are the persistence surfaces an audit diffs against a
// baseline. Verified senders are left out: their reader pages with offset,
// which GET /v3/verified_senders does not declare.
var auditSurfaces = []string{surfTeammates, surfPending, surfAllowList, surfWebhooks, surfParse, surfFwdBounce, surfFwdSpam, surfAlerts}

// Surfaces reads the persistence surfaces of one account as the baseline
// file names their items (the keys `keyir inventory save` writes), so a
// baseline diff compares like with like. A surface that could not be read
// is in errs, not in items.
func (r *Reader) Surfaces(ctx context.Context, subuser string) (items map[string][]string, errs map[string]error) {
	items, errs = map[string][]string{}, map[string]error{}
	c := r.client(subuser)
	for _, s := range surfaces {
		if !slices.Contains(auditSurfaces, s.name) {
			continue
		}
		got, err := s.fetch(ctx, c)
		if err != nil {
			errs[s.name] = err
			continue
		}
		keys := []string{}
		for _, it := range got {
			keys = append(keys, it.key)
		}
		sort.Strings(keys)
		items[s.name] = keys
	}
	return items, errs
}

// BaselineSurface returns a baseline's items of one surface and whether the
// baseline captured it.
func (b *Baseline) BaselineSurface(name string) ([]string, bool) {
	l := b.list(name)
	if l == nil || !b.captured(name) {
		return nil, false
	}
	return *l, true
}

// AuditSurfaces names the surfaces Surfaces reads.
func AuditSurfaces() []string { return append([]string(nil), auditSurfaces...) }

// RedactURL drops a URL's user info and query, which may hold credentials.
func RedactURL(raw string) string { return redactURL(raw) }

// Trusted reports whether a destination (host or address) is in one of the
// trusted domains (or a subdomain of one).
func Trusted(dest string, domains []string) bool { return trusted(dest, domains) }
