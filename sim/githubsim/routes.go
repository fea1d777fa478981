package githubsim

import "net/http"
import "slices"
import "strings"

// route is one operation the simulator serves, with what GitHub's REST
// description declares for it (query parameters, enums) and what GitHub
// requires of the token.
type route struct {
	method, tmpl string
	name         string   // "GET /orgs/{org}/hooks"
	query        []string // declared query parameters
	enums        map[string][]string
	// scopes: a classic PAT or OAuth token needs one of them (or one that
	// implies it); none: any live token.
	scopes []string
	// perm: the permission a fine-grained, user-to-server or installation
	// token needs ("organization_hooks", "read"); zero: none.
	perm     [2]string
	orgOwner bool // {org} endpoints for organization owners only
	repoAdm  bool // {owner}/{repo} endpoints needing admin on the repository
	revoke   bool // POST /credentials/revoke: its own authentication rules
	anon     bool // public data: served without a token too
	doc      string
	h        func(*Server, *call) response
}

var paging = []string{"per_page", "page"}

var routes = []*route{
	{method: "GET", tmpl: "/user", h: (*Server).getUser, doc: docsRoot + "/users/users#get-the-authenticated-user"},
	{method: "POST", tmpl: "/credentials/revoke", revoke: true, h: (*Server).revokeCredentials, doc: docsRoot + "/credentials/revoke#revoke-a-list-of-credentials"},
	{method: "DELETE", tmpl: "/installation/token", h: (*Server).deleteInstallationToken, doc: docsRoot + "/apps/installations#revoke-an-installation-access-token"},
	{method: "GET", tmpl: "/installation/repositories", query: paging, h: (*Server).installationRepos, doc: docsRoot + "/apps/installations#list-repositories-accessible-to-the-app-installation"},
	{method: "GET", tmpl: "/orgs/{org}/members", query: []string{"filter", "role", "per_page", "page"},
		enums:  map[string][]string{"filter": {"2fa_disabled", "2fa_insecure", "all"}, "role": {"all", "admin", "member"}},
		scopes: []string{"read:org"}, perm: [2]string{"members", "read"}, h: (*Server).listMembers, doc: docsRoot + "/orgs/members#list-organization-members"},
	{method: "GET", tmpl: "/user/keys", query: paging, scopes: []string{"read:public_key"}, perm: [2]string{"git_ssh_keys", "read"}, h: (*Server).listUserKeys, doc: docsRoot + "/users/keys#list-public-ssh-keys-for-the-authenticated-user"},
	{method: "GET", tmpl: "/users/{username}/keys", query: paging, anon: true, h: (*Server).listPublicKeys, doc: docsRoot + "/users/keys#list-public-keys-for-a-user"},
	{method: "GET", tmpl: "/orgs/{org}/audit-log", query: []string{"phrase", "include", "after", "before", "order", "per_page"},
		enums:  map[string][]string{"include": {"web", "git", "all"}, "order": {"desc", "asc"}},
		scopes: []string{"read:audit_log"}, perm: [2]string{"organization_administration", "read"}, orgOwner: true,
		h: (*Server).auditLog, doc: docsRoot + "/orgs/orgs#get-the-audit-log-for-an-organization"},
	{method: "GET", tmpl: "/orgs/{org}/repos", query: []string{"type", "sort", "direction", "per_page", "page"},
		enums: map[string][]string{"type": {"all", "private", "forks", "sources", "member", "internal"}, "sort": {"created", "updated", "pushed", "full_name"}, "direction": {"asc", "desc"}},
		perm:  [2]string{"metadata", "read"}, h: (*Server).listOrgRepos, doc: docsRoot + "/repos/repos#list-organization-repositories"},
	{method: "GET", tmpl: "/repos/{owner}/{repo}/keys", query: paging, scopes: []string{"repo"}, perm: [2]string{"administration", "read"}, repoAdm: true,
		h: (*Server).listDeployKeys, doc: docsRoot + "/deploy-keys/deploy-keys#list-deploy-keys"},
	{method: "GET", tmpl: "/repos/{owner}/{repo}/hooks", query: paging, scopes: []string{"read:repo_hook", "repo"}, perm: [2]string{"repository_hooks", "read"}, repoAdm: true,
		h: (*Server).listRepoHooks, doc: docsRoot + "/repos/webhooks#list-repository-webhooks"},
	{method: "GET", tmpl: "/orgs/{org}/hooks", query: paging, scopes: []string{"admin:org_hook"}, perm: [2]string{"organization_hooks", "read"}, orgOwner: true,
		h: (*Server).listOrgHooks, doc: docsRoot + "/orgs/webhooks#list-organization-webhooks"},
	{method: "GET", tmpl: "/orgs/{org}/invitations", query: []string{"per_page", "page", "role", "invitation_source"},
		enums:  map[string][]string{"role": {"all", "admin", "direct_member", "billing_manager", "hiring_manager"}, "invitation_source": {"all", "member", "scim"}},
		scopes: []string{"read:org"}, perm: [2]string{"members", "read"}, orgOwner: true,
		h: (*Server).listInvitations, doc: docsRoot + "/orgs/members#list-pending-organization-invitations"},
	{method: "GET", tmpl: "/orgs/{org}/installations", query: paging, scopes: []string{"read:org"}, perm: [2]string{"organization_administration", "read"}, orgOwner: true,
		h: (*Server).listInstallations, doc: docsRoot + "/orgs/orgs#list-app-installations-for-an-organization"},
	{method: "GET", tmpl: "/orgs/{org}/credential-authorizations", query: []string{"per_page", "page", "login"}, scopes: []string{"read:org"},
		perm: [2]string{"organization_administration", "read"}, orgOwner: true,
		h: (*Server).listCredentialAuthorizations, doc: docsRoot + "/orgs/orgs#list-saml-sso-authorizations-for-an-organization"},
}

func init() {
	for _, r := range routes {
		r.name = r.method + " " + r.tmpl
	}
}

// Routes lists the operations served, as "METHOD /template".
func Routes() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.name
	}
	return out
}

// match finds the route of method and path under root ("" or "/api/v3");
// known reports a path that exists with another method.
func match(method, path, root string) (*route, map[string]string, bool) {
	rest, ok := strings.CutPrefix(path, root)
	if !ok || (root != "" && !strings.HasPrefix(rest, "/")) {
		return nil, nil, false
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	known := false
	for _, r := range routes {
		ts := strings.Split(r.tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		params := map[string]string{}
		okp := true
		for i, t := range ts {
			if strings.HasPrefix(t, "{") {
				if segs[i] == "" {
					okp = false
					break
				}
				params[t[1:len(t)-1]] = segs[i]
			} else if t != segs[i] {
				okp = false
				break
			}
		}
		if !okp {
			continue
		}
		if r.method == method {
			return r, params, true
		}
		known = true
	}
	return nil, nil, known
}

// declared keeps the declared query parameters (first value each): GitHub
// ignores what it does not know.
func declared(rt *route, r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		if slices.Contains(rt.query, k) && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// checkParams refuses a value outside a declared enum with 422, as GitHub does.
func checkParams(rt *route, c *call) *response {
	for name, allowed := range rt.enums {
		if v, ok := c.query[name]; ok && !slices.Contains(allowed, v) {
			r := jsonResp(http.StatusUnprocessableEntity, map[string]any{
				"message": "Validation Failed", "documentation_url": rt.doc, "status": "422",
				"errors": []map[string]string{{"resource": "Search", "field": name, "code": "invalid"}},
			})
			return &r
		}
	}
	return nil
}

// implied lists the classic scopes each scope grants besides itself.
var implied = map[string][]string{
	"repo":             {"public_repo", "repo:status", "repo_deployment", "repo:invite", "security_events"},
	"user":             {"read:user", "user:email", "user:follow"},
	"admin:org":        {"write:org", "read:org"},
	"write:org":        {"read:org"},
	"admin:public_key": {"write:public_key", "read:public_key"},
	"write:public_key": {"read:public_key"},
	"admin:repo_hook":  {"write:repo_hook", "read:repo_hook"},
	"write:repo_hook":  {"read:repo_hook"},
}

func hasScope(have []string, want string) bool {
	for _, h := range have {
		if h == want || slices.Contains(implied[h], want) {
			return true
		}
	}
	return false
}

var levels = map[string]int{"read": 1, "write": 2, "admin": 3}

// authorize applies GitHub's rules for the token on the route: scopes for
// classic and OAuth tokens, permissions and the resource owner for the
// others, owners only on org admin endpoints; repository endpoints answer 404
// to a token that may not see them, as GitHub hides what it will not show.
func (s *Server) authorize(c *call, rt *route) *response {
	t := c.tok
	org := c.params["org"]
	repoName := ""
	if c.params["owner"] != "" {
		org = c.params["owner"]
		repoName = c.params["owner"] + "/" + c.params["repo"]
	}
	s.st.mu.Lock()
	o, orgOK := s.st.org(org)
	_, repoOK := s.st.repo(repoName)
	s.st.mu.Unlock()
	deny := func(status int, msg string) *response { r := ghError(status, msg, rt.doc); return &r }
	if org != "" && !orgOK || repoName != "" && !repoOK {
		return deny(http.StatusNotFound, "Not Found")
	}
	switch t.Kind {
	case "github_classic_pat", "github_oauth":
		if len(rt.scopes) > 0 && !slices.ContainsFunc(rt.scopes, func(w string) bool { return hasScope(t.Scopes, w) }) {
			if repoName != "" {
				return deny(http.StatusNotFound, "Not Found")
			}
			return deny(http.StatusForbidden, "Resource not accessible by personal access token")
		}
	default:
		who := "personal access token"
		if t.Kind != "github_fine_grained_pat" {
			who = "integration"
		}
		if rt.perm[0] != "" && (org == "" && t.Kind == "github_installation" || org != "" && t.Org != org) {
			return deny(http.StatusForbidden, "Resource not accessible by "+who)
		}
		if rt.perm[0] != "" && levels[t.Permissions[rt.perm[0]]] < levels[rt.perm[1]] {
			return deny(http.StatusForbidden, "Resource not accessible by "+who)
		}
	}
	if (rt.orgOwner || rt.repoAdm) && t.Kind != "github_installation" && !slices.Contains(o.Owners, t.Login) {
		if repoName != "" {
			return deny(http.StatusNotFound, "Not Found")
		}
		return deny(http.StatusForbidden, "You must be an organization owner to use this endpoint.")
	}
	return nil
}
