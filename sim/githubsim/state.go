package githubsim

import "crypto/sha256"
import "encoding/base64"
import "slices"
import "sync"
import "time"

// Token is one credential GitHub knows. Kind is tokenfmt's kind name
// (github_classic_pat, github_fine_grained_pat, github_oauth,
// github_user_to_server, github_refresh, github_installation).
type Token struct {
	Value string
	Kind  string
	ID    int64  // the token_id audit log entries carry
	Login string // the user it acts for; "" for an installation token
	// Scopes are a classic PAT's or OAuth app token's scopes (X-OAuth-Scopes).
	Scopes []string
	// Permissions are a fine-grained PAT's, user-to-server or installation
	// token's permissions ("organization_hooks": "read"); they never show in
	// X-OAuth-Scopes.
	Permissions map[string]string
	// Org: the resource owner of a fine-grained PAT, an installation's org.
	Org            string
	InstallationID int64
	CreatedAt      time.Time
	ExpiresAt      time.Time // zero: no expiry (github-authentication-token-expiration is then absent)
	RevokedAt      time.Time // zero: not revoked
}

// HashedToken is what GitHub's audit log records of a token: base64 of the
// SHA-256 of the token.
func HashedToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// User is a GitHub account.
type User struct {
	Login     string
	ID        int64
	Name      string
	Email     string
	CreatedAt time.Time
}

// Org is an organization; Owners may use its admin endpoints, Members
// (besides the owners) see its member list.
type Org struct {
	Login   string
	ID      int64
	Owners  []string
	Members []string
}

// Repo is a repository; Owner is an org or user login.
type Repo struct {
	ID         int64
	Owner      string
	Name       string
	Visibility string // public, private, internal
	CreatedAt  time.Time
}

// FullName is owner/name.
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// SSHKey is a user's public key (GET /user/keys).
type SSHKey struct {
	ID        int64
	Login     string
	Title     string
	Key       string
	CreatedAt time.Time
}

// DeployKey is a repository's deploy key; Repo is owner/name.
type DeployKey struct {
	ID        int64
	Repo      string
	Title     string
	Key       string
	ReadOnly  bool
	AddedBy   string
	CreatedAt time.Time
}

// Hook is a webhook of a repository (Repo = owner/name) or, with Repo "",
// of the organization Org.
type Hook struct {
	ID        int64
	Repo      string
	Org       string
	URL       string
	Events    []string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Invitation is a pending organization invitation.
type Invitation struct {
	ID        int64
	Org       string
	Login     string // "" when invited by email
	Email     string
	Role      string // direct_member, admin, billing_manager
	Inviter   string
	CreatedAt time.Time
}

// Installation is a GitHub App installed on an organization.
type Installation struct {
	ID          int64
	Org         string
	AppID       int64
	AppSlug     string
	Permissions map[string]string
	Events      []string
	CreatedAt   time.Time
}

// CredentialAuthorization is a credential authorized for an organization's
// SAML single sign-on (GitHub Enterprise Cloud).
type CredentialAuthorization struct {
	Org            string
	Login          string
	CredentialID   int64
	CredentialType string // "personal access token", "SSH key"
	TokenLastEight string
	Scopes         []string
	Fingerprint    string
	AuthorizedAt   time.Time
}

// AuditEvent is one organization audit log entry. Fields holds what the
// action adds (visibility, hook_id, …).
type AuditEvent struct {
	DocumentID  string
	At          time.Time
	Action      string
	Actor       string
	Org         string
	Repo        string // owner/name
	User        string // the user acted on
	HashedToken string
	TokenID     int64
	// ProgrammaticAccessType: "Personal access token (classic)",
	// "Fine-grained personal access token", "OAuth access token", "GitHub App server-to-server token".
	ProgrammaticAccessType string
	Fields                 map[string]any
}

// State is the simulated GitHub: accounts, tokens and what they left.
type State struct {
	mu       sync.Mutex
	nextID   int64
	tokens   map[string]*Token
	users    []User
	orgs     []Org
	repos    []Repo
	sshKeys  []SSHKey
	deploy   []DeployKey
	hooks    []Hook
	invites  []Invitation
	installs []Installation
	creds    []CredentialAuthorization
	audit    []AuditEvent
}

// NewState returns an empty GitHub.
func NewState() *State { return &State{nextID: 1000, tokens: map[string]*Token{}} }

func (s *State) id(v *int64) {
	if *v == 0 {
		s.nextID++
		*v = s.nextID
	}
}

// AddToken adds a token (an ID is assigned when zero) and returns it.
func (s *State) AddToken(t Token) Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id(&t.ID)
	t.Scopes = slices.Clone(t.Scopes)
	s.tokens[t.Value] = &t
	return t
}

// Token returns the token with this value.
func (s *State) Token(value string) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if !ok {
		return Token{}, false
	}
	return *t, true
}

// RevokeToken marks a token revoked at at (the first revocation stands) and
// reports whether GitHub knew the token.
func (s *State) RevokeToken(value string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if ok && t.RevokedAt.IsZero() {
		t.RevokedAt = at
	}
	return ok
}

// AddUser adds an account.
func (s *State) AddUser(u User) User {
	return add(s, &s.users, u, func(x *User) *int64 { return &x.ID })
}

// User finds an account by login.
func (s *State) User(login string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Login == login {
			return u, true
		}
	}
	return User{}, false
}

// AddOrg adds an organization.
func (s *State) AddOrg(o Org) Org {
	return add(s, &s.orgs, o, func(x *Org) *int64 { return &x.ID })
}

func (s *State) org(login string) (Org, bool) {
	for _, o := range s.orgs {
		if o.Login == login {
			return o, true
		}
	}
	return Org{}, false
}

// AddRepo adds a repository.
func (s *State) AddRepo(r Repo) Repo {
	return add(s, &s.repos, r, func(x *Repo) *int64 { return &x.ID })
}

// SetVisibility changes a repository's visibility and reports whether it exists.
func (s *State) SetVisibility(fullName, visibility string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.repos {
		if s.repos[i].FullName() == fullName {
			s.repos[i].Visibility = visibility
			return true
		}
	}
	return false
}

func (s *State) repo(fullName string) (Repo, bool) {
	for _, r := range s.repos {
		if r.FullName() == fullName {
			return r, true
		}
	}
	return Repo{}, false
}

// AddSSHKey adds a user's SSH key.
func (s *State) AddSSHKey(k SSHKey) SSHKey {
	return add(s, &s.sshKeys, k, func(x *SSHKey) *int64 { return &x.ID })
}

// AddDeployKey adds a repository's deploy key.
func (s *State) AddDeployKey(k DeployKey) DeployKey {
	return add(s, &s.deploy, k, func(x *DeployKey) *int64 { return &x.ID })
}

// AddHook adds a repository or organization webhook.
func (s *State) AddHook(h Hook) Hook {
	h.Events = slices.Clone(h.Events)
	return add(s, &s.hooks, h, func(x *Hook) *int64 { return &x.ID })
}

// AddInvitation adds a pending organization invitation.
func (s *State) AddInvitation(i Invitation) Invitation {
	return add(s, &s.invites, i, func(x *Invitation) *int64 { return &x.ID })
}

// AddInstallation adds an app installation.
func (s *State) AddInstallation(i Installation) Installation {
	return add(s, &s.installs, i, func(x *Installation) *int64 { return &x.ID })
}

// AddCredentialAuthorization adds a SAML SSO credential authorization.
func (s *State) AddCredentialAuthorization(c CredentialAuthorization) CredentialAuthorization {
	return add(s, &s.creds, c, func(x *CredentialAuthorization) *int64 { return &x.CredentialID })
}

// AddAudit appends an audit log entry (a document id is made up when empty).
func (s *State) AddAudit(e AuditEvent) AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.DocumentID == "" {
		s.nextID++
		e.DocumentID = docID(s.nextID)
	}
	s.audit = append(s.audit, e)
	return e
}

// docID makes a 22-character id like GitHub's _document_id from a counter.
func docID(n int64) string {
	sum := sha256.Sum256([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)})
	return base64.RawURLEncoding.EncodeToString(sum[:])[:22]
}

// add appends v to *list under the lock, first giving it an id when the
// field id points to is zero.
func add[T any](s *State, list *[]T, v T, id func(*T) *int64) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id(id(&v))
	*list = append(*list, v)
	return v
}

// pick returns the items of *list that keep accepts, read under the lock.
func pick[T any](s *State, list *[]T, keep func(T) bool) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, x := range *list {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
