package sendgrid

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/keyir/keyir/actions"
)

// Reader is the responder's client for `keyir audit`: GET only, through the
// same request, retry and region machinery as the actions, so an audit works
// unchanged under the dry-run transport.
type Reader struct{ c *Client }

// NewReader authenticates with SENDGRID_API_KEY (or SENDGRID_API_KEY_FILE);
// the region comes from SENDGRID_REGION unless SENDGRID_API_URL is set.
func NewReader(env *actions.Env) (*Reader, error) {
	c, err := newClient(env, strings.TrimSpace(env.Lookup(EnvRegion)), "")
	if err != nil {
		return nil, err
	}
	return &Reader{c: c}, nil
}

// KeyID is the id of the responder key itself (its middle segment), so an
// audit can tell the responder's own, deliberately granted scopes apart.
func (r *Reader) KeyID() string {
	if m := keyRE.FindStringSubmatch(r.c.key); m != nil {
		return m[1]
	}
	return ""
}

// Get reads endpoint (a path with an already-escaped query) for subuser
// ("" = the key's own account; on-behalf-of otherwise) and decodes the 2xx
// body into out. A non-2xx answer is an *APIError (see StatusOf).
func (r *Reader) Get(ctx context.Context, subuser, endpoint string, out any) error {
	_, err := r.c.onBehalfOf(subuser).get(ctx, endpoint, out)
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

// Subusers lists the parent account's subusers (GET /v3/subusers, paged).
func (r *Reader) Subusers(ctx context.Context) ([]string, error) { return listSubusers(ctx, r.c) }

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
	c := r.c.onBehalfOf(subuser)
	for _, s := range surfaces {
		if !contains(auditSurfaces, s.name) {
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

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// RedactURL drops a URL's user info and query, which may hold credentials.
func RedactURL(raw string) string { return redactURL(raw) }

// Trusted reports whether a destination (host or address) is in one of the
// trusted domains (or a subdomain of one).
func Trusted(dest string, domains []string) bool { return trusted(dest, domains) }
