package sendgridsim

import "slices"
import "sort"
import "sync"
import "time"

// Message is one row of Email Activity.
type Message struct {
	ID            string // msg_id
	APIKeyID      string // the key that sent it (queryable as api_key_id, not returned in the list)
	From, To      string
	Subject       string
	Status        string // processed, delivered or not_delivered (the spec's enum)
	LastEventTime time.Time
	OpensCount    int
	ClicksCount   int
	Subuser       string // "" = parent account
}

// DayStats is one day of global stats (GET /v3/stats).
type DayStats struct {
	Date                                                             string // 2006-01-02
	Requests, Delivered, Bounces, SpamReports, Opens, Clicks, Blocks int
	Deferred, InvalidEmails, UniqueOpens, UniqueClicks, Unsubscribes int
	Processed, Drops, BounceDrops, SpamReportDrops, UnsubscribeDrops int
}

// Subuser is a subuser of the parent account.
type Subuser struct {
	ID       int
	Username string
	Email    string
	Disabled bool
	Region   string // "global" (default) or "eu"
}

// Teammate is an accepted teammate.
type Teammate struct {
	Subuser   string
	Username  string
	Email     string
	FirstName string
	LastName  string
	UserType  string // admin, owner or teammate (default teammate)
	IsAdmin   bool
}

// Invite is a pending teammate invitation.
type Invite struct {
	Subuser    string
	Email      string
	Scopes     []string
	IsAdmin    bool
	Token      string
	Expiration time.Time
}

// AccessAttempt is one row of IP access activity (dashboard logins).
type AccessAttempt struct {
	Subuser    string
	IP         string
	Allowed    bool
	AuthMethod string // e.g. "basic", "api_key"
	FirstAt    time.Time
	LastAt     time.Time
	Location   string
}

// AllowListIP is one IP access management (whitelist) rule.
type AllowListIP struct {
	Subuser   string
	ID        int // 0 = assigned by AddAllowListIP
	IP        string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EventWebhook is one event webhook setting.
type EventWebhook struct {
	Subuser      string
	ID           string // "" = assigned by AddEventWebhook
	URL          string
	FriendlyName string
	Enabled      bool
	Created      time.Time
	Updated      time.Time
	PublicKey    string // signature verification: set when the Signed Event Webhook is enabled
	// Events lists the event names enabled: delivered, bounce, processed, open, click, dropped,
	// deferred, spam_report, unsubscribe, group_unsubscribe, group_resubscribe.
	Events []string
}

// ParseSetting is one inbound parse host.
type ParseSetting struct {
	Subuser   string
	Hostname  string
	URL       string
	SpamCheck bool
	SendRaw   bool
}

// Forward is a forward_bounce or forward_spam mail setting.
type Forward struct {
	Email   string
	Enabled bool
}

// Alert is one alert (usage_limit or stats_notification).
type Alert struct {
	Subuser    string
	ID         int // 0 = assigned by AddAlert
	Type       string
	EmailTo    string
	Frequency  string // stats_notification only: daily, weekly, monthly
	Percentage int    // usage_limit only
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// VerifiedSender is one single-sender identity.
type VerifiedSender struct {
	Subuser   string
	ID        int // 0 = assigned by AddVerifiedSender
	Nickname  string
	FromEmail string
	FromName  string
	ReplyTo   string
	Verified  bool
	Locked    bool
}

// Bounce is one bounce suppression.
type Bounce struct {
	Subuser string
	Email   string
	Reason  string
	Status  string
	Created time.Time
}

// SpamReport is one spam report suppression.
type SpamReport struct {
	Subuser string
	Email   string
	IP      string
	Created time.Time
}

// SentMail is one accepted POST /v3/mail/send request.
type SentMail struct {
	Time      time.Time
	APIKeyID  string
	MessageID string // X-Message-Id; "" in sandbox mode
	Sandbox   bool
	From      string
	To        []string
	Subject   string
	Body      []byte // the request body, verbatim
}

// account is everything that belongs to the parent account or to one subuser.
type account struct {
	stats     map[string]DayStats
	fwdBounce Forward
	fwdSpam   Forward
}

// State is the simulated SendGrid account: the parent and its subusers. All methods are safe
// for concurrent use. Items carrying a Subuser field belong to that subuser ("" = parent).
type State struct {
	mu        sync.Mutex
	keys      []Key // in creation order; revoked keys stay (RevokedAt set)
	subusers  []Subuser
	teammates []Teammate
	invites   []Invite
	messages  []Message
	byTime    []int // positions of messages by last_event_time (query.go), rebuilt when rows are added
	access    []AccessAttempt
	allow     []AllowListIP
	webhooks  []EventWebhook
	parse     []ParseSetting
	alerts    []Alert
	senders   []VerifiedSender
	bounces   []Bounce
	spam      []SpamReport
	outbox    []SentMail
	accounts  map[string]*account
	nextID    int
	owner     Owner // GET /v3/user/username (user.go)
}

// NewState returns an empty account.
func NewState() *State { return &State{accounts: map[string]*account{}, nextID: 1} }

func (s *State) acct(subuser string) *account {
	a := s.accounts[subuser]
	if a == nil {
		a = &account{stats: map[string]DayStats{}}
		s.accounts[subuser] = a
	}
	return a
}

func (s *State) id() int { s.nextID++; return s.nextID - 1 }

// AddKey adds (or replaces, by ID) a key.
func (s *State) AddKey(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k.Scopes = slices.Clone(k.Scopes)
	for i := range s.keys {
		if s.keys[i].ID == k.ID {
			s.keys[i] = k
			return
		}
	}
	s.keys = append(s.keys, k)
}

// Key returns the key with that id, revoked or not.
func (s *State) Key(id string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.keyIndex(id)
	if i < 0 {
		return Key{}, false
	}
	k := s.keys[i]
	k.Scopes = slices.Clone(k.Scopes)
	return k, true
}

func (s *State) keyIndex(id string) int {
	for i := range s.keys {
		if s.keys[i].ID == id {
			return i
		}
	}
	return -1
}

// Keys returns the keys of one account ("" = parent) that are not revoked, in creation order.
func (s *State) Keys(subuser string) []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Key
	for _, k := range s.keys {
		if k.Subuser == subuser && k.RevokedAt.IsZero() {
			k.Scopes = slices.Clone(k.Scopes)
			out = append(out, k)
		}
	}
	return out
}

// KeyLive reports whether the key exists and has not been revoked as of now. It is the ground
// truth; the server keeps authenticating a revoked key for Config.PropagationDelay (see
// Server.Authenticates).
func (s *State) KeyLive(id string, now time.Time) bool {
	k, ok := s.Key(id)
	return ok && (k.RevokedAt.IsZero() || now.Before(k.RevokedAt))
}

// RevokeKey marks the key revoked at t; false if it is absent or already revoked.
func (s *State) RevokeKey(id string, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.keyIndex(id)
	if i < 0 || !s.keys[i].RevokedAt.IsZero() {
		return false
	}
	s.keys[i].RevokedAt = t
	return true
}

// AddSubuser adds a subuser; ID 0 is assigned.
func (s *State) AddSubuser(u Subuser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == 0 {
		u.ID = 1000 + s.id()
	}
	s.subusers = append(s.subusers, u)
	s.acct(u.Username)
}

// Subusers returns the subusers.
func (s *State) Subusers() []Subuser {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.subusers)
}

// Region names for Subuser.Region, Request.Host and Server.AuthenticatesOn.
const (
	RegionGlobal = "global" // https://api.sendgrid.com: the parent and global subusers
	RegionEU     = "eu"     // https://api.eu.sendgrid.com: EU regional subusers
)

// RegionOf is the region of an account: the parent ("") is global; a subuser has its Region
// (global when unset or unknown).
func (s *State) RegionOf(subuser string) string {
	if subuser == "" {
		return RegionGlobal
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.subusers {
		if u.Username == subuser && u.Region == RegionEU {
			return RegionEU
		}
	}
	return RegionGlobal
}

func (s *State) hasSubuser(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.subusers, func(u Subuser) bool { return u.Username == name })
}

// AddTeammate adds an accepted teammate.
func (s *State) AddTeammate(t Teammate) {
	s.mu.Lock()
	s.teammates = append(s.teammates, t)
	s.mu.Unlock()
}

// AddInvite adds a pending teammate invitation.
func (s *State) AddInvite(i Invite) {
	s.mu.Lock()
	i.Scopes = slices.Clone(i.Scopes)
	s.invites = append(s.invites, i)
	s.mu.Unlock()
}

// AddMessages adds Email Activity rows.
func (s *State) AddMessages(ms ...Message) {
	s.mu.Lock()
	s.messages = append(s.messages, ms...)
	s.mu.Unlock()
}

// Messages returns all Email Activity rows (of every account).
func (s *State) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// SetStats records daily stats of one account ("" = parent); a day given again is replaced.
func (s *State) SetStats(subuser string, days ...DayStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(subuser)
	for _, d := range days {
		a.stats[d.Date] = d
	}
}

// AddAccessAttempt adds a row of IP access activity.
func (s *State) AddAccessAttempt(a AccessAttempt) {
	s.mu.Lock()
	s.access = append(s.access, a)
	s.mu.Unlock()
}

// AddAllowListIP adds an IP allow-list rule; ID 0 is assigned.
func (s *State) AddAllowListIP(a AllowListIP) { addNumbered(s, &s.allow, &a, &a.ID) }

// AddEventWebhook adds an event webhook; an empty ID is assigned.
func (s *State) AddEventWebhook(w EventWebhook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.ID == "" {
		w.ID = "wh-" + itoa(s.id())
	}
	w.Events = slices.Clone(w.Events)
	s.webhooks = append(s.webhooks, w)
}

// AddParseSetting adds an inbound parse host.
func (s *State) AddParseSetting(p ParseSetting) {
	s.mu.Lock()
	s.parse = append(s.parse, p)
	s.mu.Unlock()
}

// SetForwardBounce sets the forward_bounce mail setting of one account.
func (s *State) SetForwardBounce(subuser string, f Forward) {
	s.mu.Lock()
	s.acct(subuser).fwdBounce = f
	s.mu.Unlock()
}

// SetForwardSpam sets the forward_spam mail setting of one account.
func (s *State) SetForwardSpam(subuser string, f Forward) {
	s.mu.Lock()
	s.acct(subuser).fwdSpam = f
	s.mu.Unlock()
}

// AddAlert adds an alert; ID 0 is assigned.
func (s *State) AddAlert(a Alert) { addNumbered(s, &s.alerts, &a, &a.ID) }

// AddVerifiedSender adds a verified sender; ID 0 is assigned.
func (s *State) AddVerifiedSender(v VerifiedSender) { addNumbered(s, &s.senders, &v, &v.ID) }

// AddBounce adds a bounce suppression.
func (s *State) AddBounce(b Bounce) { s.mu.Lock(); s.bounces = append(s.bounces, b); s.mu.Unlock() }

// AddSpamReport adds a spam report suppression.
func (s *State) AddSpamReport(r SpamReport) { s.mu.Lock(); s.spam = append(s.spam, r); s.mu.Unlock() }

// Outbox returns the mail accepted by POST /v3/mail/send, oldest first.
func (s *State) Outbox() []SentMail { s.mu.Lock(); defer s.mu.Unlock(); return slices.Clone(s.outbox) }

func (s *State) send(m SentMail) { s.mu.Lock(); s.outbox = append(s.outbox, m); s.mu.Unlock() }

// addNumbered appends *v to *list under the lock, first giving it the next
// id when *id (v's ID field) is 0: the one rule for fixtures with numeric ids.
func addNumbered[T any](s *State, list *[]T, v *T, id *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *id == 0 {
		*id = s.id()
	}
	*list = append(*list, *v)
}

// filter returns the items of xs whose account is sub.
func filter[T any](s *State, get func() []T, sub string, of func(T) string) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, x := range get() {
		if of(x) == sub {
			out = append(out, x)
		}
	}
	return out
}

func (s *State) stats(subuser string, date string) DayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.acct(subuser).stats[date]
	if !ok {
		d = DayStats{Date: date}
	}
	return d
}

func (s *State) forwards(subuser string) (bounce, spam Forward) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(subuser)
	return a.fwdBounce, a.fwdSpam
}

func sortByTimeDesc[T any](xs []T, at func(T) time.Time) {
	sort.SliceStable(xs, func(i, j int) bool { return at(xs[i]).After(at(xs[j])) })
}
