package audit

import "time"

import "github.com/keyir/keyir/report"

// Practice is one of the API-key best practices a check serves.
type Practice string

const (
	LeastPrivilege Practice = "least privilege"
	Rotation       Practice = "rotation"
	Monitoring     Practice = "monitoring"
	IPAllowListing Practice = "IP allow-listing"
	HTTPS          Practice = "HTTPS"
	SeparateKeys   Practice = "separate keys"
	NoSharing      Practice = "no sharing"
	TwoFactor      Practice = "two-factor authentication"
	Auditing       Practice = "auditing"
)

// Practices in report order.
var Practices = []Practice{LeastPrivilege, Rotation, Monitoring, IPAllowListing, HTTPS, SeparateKeys, NoSharing, TwoFactor, Auditing}

// Status of one check on one subject.
type Status string

const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	NotAssessable Status = "not_assessable"
)

// Result is one check's verdict on one subject. Its JSON is the issue's
// contract: {"id","practice","severity","status","subject","detail","fix","evidence"}.
type Result struct {
	ID       string          `json:"id"`
	Practice Practice        `json:"practice"`
	Severity report.Severity `json:"severity"`
	Status   Status          `json:"status"`
	Subject  string          `json:"subject"`
	Detail   string          `json:"detail"`
	Fix      string          `json:"fix"`
	Evidence []string        `json:"evidence"`
}

// Check is one best-practice check: a pure function of the snapshot.
type Check struct {
	ID       string
	Practice Practice
	Severity report.Severity
	Title    string // what passing means, for docs and the pass line
	Fix      string // one line
	Run      func(s *Snapshot, a *Account) []Result
}

// Key is one API key as read (never its secret).
type Key struct {
	ID     string
	Name   string
	Scopes []string
}

// AllowEntry is one IP access management rule.
type AllowEntry struct {
	ID  int
	IP  string
	Age time.Time
}

// Access is one row of IP access activity.
type Access struct {
	IP       string
	Allowed  bool
	FirstAt  time.Time
	LastAt   time.Time
	Location string
}

// Webhook is an event webhook (Signed: a public key is set, i.e. signature
// verification is on).
type Webhook struct {
	ID      string
	URL     string
	Enabled bool
	Signed  bool
}

// ParseHost is one inbound parse setting.
type ParseHost struct {
	Hostname string `json:"hostname"`
	URL      string `json:"url"`
}

// Forward is a forward_bounce or forward_spam setting.
type Forward struct {
	Email   string
	Enabled bool
}

// Alert is one alert.
type Alert struct {
	ID      int
	Type    string
	EmailTo string
}

// Teammate is an accepted teammate.
type Teammate struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	UserType string `json:"user_type"`
	IsAdmin  bool   `json:"is_admin"`
}

// Invite is a pending teammate invitation.
type Invite struct {
	Email   string
	IsAdmin bool
	Expires time.Time
}

// Gap is why something could not be read: a reason for not_assessable.
// Empty means it was read.
type Gap string

// Account is what was read of the parent account ("") or one subuser.
type Account struct {
	Subuser string

	Keys    []Key
	KeysGap Gap
	// Sent is, per key id, whether Email Activity shows mail from it in the
	// last 30 days; only keys that may send are asked.
	Sent    map[string]bool
	SentGap Gap

	AllowList    []AllowEntry
	AllowListGap Gap
	Access       []Access
	AccessGap    Gap
	Webhooks     []Webhook
	WebhooksGap  Gap
	Parse        []ParseHost
	ParseGap     Gap
	FwdBounce    Forward
	FwdBounceGap Gap
	FwdSpam      Forward
	FwdSpamGap   Gap
	Alerts       []Alert
	AlertsGap    Gap
	Teammates    []Teammate
	TeammatesGap Gap
	Pending      []Invite
	PendingGap   Gap

	// Surfaces are the items of the persistence surfaces as a baseline
	// names them (read only with a baseline).
	Surfaces    map[string][]string
	SurfaceGaps map[string]Gap
}

// Snapshot is everything an audit read, plus what it was given.
type Snapshot struct {
	Now time.Time
	// ResponderKeyID is the audit's own key: the scopes keyir needs to
	// respond to a leak are not held against it.
	ResponderKeyID string
	// ResponderNeeds are the scopes keyir's response playbooks need.
	ResponderNeeds []string
	// Trusted are the domains forwarding and alert addresses may use; when
	// empty, those checks are not assessable.
	Trusted   []string
	Accounts  []*Account
	Baselines []Baseline
}

// Baseline is a saved inventory: when it was taken, the keys it held, and
// the persistence surfaces it captured.
type Baseline struct {
	Path     string
	TakenAt  time.Time
	Keys     []BaselineKey
	Surfaces map[string][]string // captured surfaces only (parent account)
}

// BaselineKey is one key of a baseline.
type BaselineKey struct {
	ID      string
	Name    string
	Scopes  []string
	Subuser string
}
