package githubsim

import "bytes"
import "encoding/json"
import "fmt"
import "net/http"
import "net/url"
import "slices"
import "strconv"
import "strings"
import "time"

const stamp = "2006-01-02T15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(stamp) }

// simpleUser is GitHub's simple-user object for login.
func (c *call) simpleUser(login string, id int64) map[string]any {
	u := c.base + "/users/" + login
	return map[string]any{
		"login": login, "id": id, "node_id": fmt.Sprintf("MDQ6VXNlcj%d", id),
		"avatar_url": fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), "gravatar_id": "",
		"url": u, "html_url": "https://github.com/" + login, "followers_url": u + "/followers",
		"following_url": u + "/following{/other_user}", "gists_url": u + "/gists{/gist_id}",
		"starred_url": u + "/starred{/owner}{/repo}", "subscriptions_url": u + "/subscriptions",
		"organizations_url": u + "/orgs", "repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events", "type": "User", "site_admin": false, "user_view_type": "public",
	}
}

func (s *Server) userRef(c *call, login string) map[string]any {
	u, _ := s.st.User(login)
	return c.simpleUser(login, u.ID)
}

// getUser: the token's own account. A classic or OAuth token with the user
// or read:user scope gets the private-user view (user_view_type "private");
// every other token the public-user view (GitHub's REST description of
// GET /user). An installation token acts for no user: 403 while live.
func (s *Server) getUser(c *call) response {
	if c.tok.Kind == "github_installation" {
		return ghError(http.StatusForbidden, "Resource not accessible by integration", docsRoot+"/users/users#get-the-authenticated-user")
	}
	u, ok := s.st.User(c.tok.Login)
	if !ok {
		return ghError(http.StatusNotFound, "Not Found", docsRoot)
	}
	b := c.simpleUser(u.Login, u.ID)
	for k, v := range map[string]any{
		"name": u.Name, "company": nil, "blog": "", "location": nil, "email": nilIfEmpty(u.Email), "hireable": nil,
		"bio": nil, "twitter_username": nil, "public_repos": 2, "public_gists": 0,
		"followers": 3, "following": 1, "created_at": ts(u.CreatedAt), "updated_at": ts(u.CreatedAt),
	} {
		b[k] = v
	}
	if hasScope(c.tok.Scopes, "read:user") {
		b["user_view_type"] = "private"
		for k, v := range map[string]any{
			"notification_email": nilIfEmpty(u.Email), "private_gists": 0, "total_private_repos": 4, "owned_private_repos": 1,
			"disk_usage": 2048, "collaborators": 0, "two_factor_authentication": true,
			"plan": map[string]any{"name": "pro", "space": 976562499, "private_repos": 9999, "collaborators": 0},
		} {
			b[k] = v
		}
	}
	return jsonResp(http.StatusOK, b)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// revokeCredentials is POST /credentials/revoke: up to 1,000 tokens, 202
// with no word on any of them. Tokens GitHub does not know, and kinds the
// host does not revoke this way (ghs_ anywhere; on Enterprise Server all but
// ghp_ and github_pat_), are silently left alone: only a token's own 401
// proves it dead.
func (s *Server) revokeCredentials(c *call) response {
	var req struct {
		Credentials []string `json:"credentials"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	invalid := func(why string) response {
		return jsonResp(http.StatusUnprocessableEntity, map[string]any{
			"message": "Invalid request.\n\n" + why, "documentation_url": docsRoot + "/credentials/revoke#revoke-a-list-of-credentials", "status": "422",
		})
	}
	if err := dec.Decode(&req); err != nil || dec.More() {
		return invalid("The request body must be a JSON object with a \"credentials\" array of strings.")
	}
	if len(req.Credentials) == 0 || len(req.Credentials) > 1000 {
		return invalid("\"credentials\" must hold between 1 and 1000 items.")
	}
	for _, tok := range req.Credentials {
		kind := tokenKind(tok)
		switch {
		case kind == "" || kind == "github_installation":
		case s.cfg.Enterprise && kind != "github_classic_pat" && kind != "github_fine_grained_pat":
		default:
			s.st.RevokeToken(tok, c.now)
		}
	}
	return jsonResp(http.StatusAccepted, map[string]any{})
}

// deleteInstallationToken: an installation token revokes itself.
func (s *Server) deleteInstallationToken(c *call) response {
	if c.tok.Kind != "github_installation" {
		return ghError(http.StatusForbidden, "Resource not accessible by personal access token", docsRoot+"/apps/installations#revoke-an-installation-access-token")
	}
	s.st.RevokeToken(c.tok.Value, c.now)
	return response{Status: http.StatusNoContent, Header: http.Header{}}
}

// page cuts items to the requested page (per_page up to 100, default 30)
// and sets GitHub's Link header.
func page[T any](c *call, items []T) ([]T, http.Header) {
	per := 30
	if v, err := strconv.Atoi(c.query["per_page"]); err == nil && v > 0 {
		per = min(v, 100)
	}
	n := 1
	if v, err := strconv.Atoi(c.query["page"]); err == nil && v > 0 {
		n = v
	}
	last := max((len(items)+per-1)/per, 1)
	h := http.Header{}
	link := func(p int, rel string) string {
		q := url.Values{}
		for k, v := range c.r.URL.Query() {
			q[k] = v
		}
		q.Set("per_page", strconv.Itoa(per))
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", c.origin, c.r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if n > 1 {
		links = append(links, link(min(n-1, last), "prev"))
	}
	if n < last {
		links = append(links, link(n+1, "next"), link(last, "last"))
	}
	if n > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	lo := min((n-1)*per, len(items))
	return items[lo:min(lo+per, len(items))], h
}

func listResp[T any](c *call, items []T, view func(T) map[string]any) response {
	pg, h := page(c, items)
	out := make([]map[string]any, 0, len(pg))
	for _, it := range pg {
		out = append(out, view(it))
	}
	return jsonResp(http.StatusOK, out).With(h)
}

func (s *Server) listUserKeys(c *call) response {
	keys := pick(s.st, &s.st.sshKeys, func(k SSHKey) bool { return k.Login == c.tok.Login })
	return listResp(c, keys, func(k SSHKey) map[string]any {
		return map[string]any{"id": k.ID, "key": k.Key, "url": fmt.Sprintf("%s/user/keys/%d", c.base, k.ID), "title": k.Title,
			"created_at": ts(k.CreatedAt), "verified": true, "read_only": false}
	})
}

// listPublicKeys is anyone's view of a user's SSH keys: id and key only.
func (s *Server) listPublicKeys(c *call) response {
	login := c.params["username"]
	if _, ok := s.st.User(login); !ok {
		return ghError(http.StatusNotFound, "Not Found", docsRoot+"/users/keys#list-public-keys-for-a-user")
	}
	keys := pick(s.st, &s.st.sshKeys, func(k SSHKey) bool { return k.Login == login })
	return listResp(c, keys, func(k SSHKey) map[string]any { return map[string]any{"id": k.ID, "key": k.Key} })
}

// installationRepos: the repositories an installation token reaches (all of its org's).
func (s *Server) installationRepos(c *call) response {
	if c.tok.Kind != "github_installation" {
		return ghError(http.StatusForbidden, "Resource not accessible by personal access token", docsRoot+"/apps/installations#list-repositories-accessible-to-the-app-installation")
	}
	rs := pick(s.st, &s.st.repos, func(r Repo) bool { return r.Owner == c.tok.Org })
	s.st.mu.Lock()
	o, _ := s.st.org(c.tok.Org)
	s.st.mu.Unlock()
	pg, h := page(c, rs)
	out := make([]map[string]any, 0, len(pg))
	for _, r := range pg {
		out = append(out, c.repoJSON(r, o))
	}
	return jsonResp(http.StatusOK, map[string]any{"total_count": len(rs), "repositories": out, "repository_selection": "all"}).With(h)
}

// listMembers: owners and members to an organization member; to anyone
// else only public members, of which the simulated orgs have none.
func (s *Server) listMembers(c *call) response {
	s.st.mu.Lock()
	o, _ := s.st.org(c.params["org"])
	s.st.mu.Unlock()
	var logins []string
	inside := slices.Contains(o.Owners, c.tok.Login) || slices.Contains(o.Members, c.tok.Login) || c.tok.Org == o.Login
	if inside {
		switch c.query["role"] {
		case "admin":
			logins = o.Owners
		case "member":
			logins = o.Members
		default:
			logins = append(slices.Clone(o.Owners), o.Members...)
		}
	}
	return listResp(c, logins, func(l string) map[string]any { return s.userRef(c, l) })
}

func (s *Server) listOrgRepos(c *call) response {
	org := c.params["org"]
	private := c.tok.Kind == "github_installation" || hasScope(c.tok.Scopes, "repo") || c.tok.Org == org
	s.st.mu.Lock()
	var rs []Repo
	for _, r := range s.st.repos {
		if r.Owner != org || (r.Visibility != "public" && !private) {
			continue
		}
		// The description's type enum has no "public" (checkParams refuses it).
		if t := c.query["type"]; (t == "internal" && r.Visibility != "internal") || (t == "private" && r.Visibility == "public") {
			continue
		}
		rs = append(rs, r)
	}
	o, _ := s.st.org(org)
	s.st.mu.Unlock()
	return listResp(c, rs, func(r Repo) map[string]any { return c.repoJSON(r, o) })
}

func (s *Server) ownedHooks(repo, org string) []Hook {
	return pick(s.st, &s.st.hooks, func(h Hook) bool { return h.Repo == repo && (repo != "" || h.Org == org) })
}

func (c *call) hookJSON(h Hook, kind string) map[string]any {
	url := fmt.Sprintf("%s/orgs/%s/hooks/%d", c.base, h.Org, h.ID)
	if kind == "Repository" {
		url = fmt.Sprintf("%s/repos/%s/hooks/%d", c.base, h.Repo, h.ID)
	}
	out := map[string]any{
		"type": kind, "id": h.ID, "name": "web", "active": h.Active, "events": slices.Clone(h.Events),
		"config":     map[string]any{"url": h.URL, "content_type": "json", "insecure_ssl": "0"},
		"updated_at": ts(h.UpdatedAt), "created_at": ts(h.CreatedAt), "url": url,
		"ping_url": url + "/pings", "deliveries_url": url + "/deliveries",
	}
	if kind == "Repository" {
		out["test_url"] = url + "/test"
		out["last_response"] = map[string]any{"code": nil, "status": "unused", "message": nil}
	}
	return out
}

func (s *Server) listRepoHooks(c *call) response {
	return listResp(c, s.ownedHooks(c.params["owner"]+"/"+c.params["repo"], ""), func(h Hook) map[string]any { return c.hookJSON(h, "Repository") })
}

func (s *Server) listOrgHooks(c *call) response {
	return listResp(c, s.ownedHooks("", c.params["org"]), func(h Hook) map[string]any { return c.hookJSON(h, "Organization") })
}

func (s *Server) listDeployKeys(c *call) response {
	full := c.params["owner"] + "/" + c.params["repo"]
	ks := pick(s.st, &s.st.deploy, func(k DeployKey) bool { return k.Repo == full })
	return listResp(c, ks, func(k DeployKey) map[string]any {
		return map[string]any{"id": k.ID, "key": k.Key, "url": fmt.Sprintf("%s/repos/%s/keys/%d", c.base, full, k.ID), "title": k.Title,
			"verified": true, "created_at": ts(k.CreatedAt), "read_only": k.ReadOnly, "added_by": nilIfEmpty(k.AddedBy), "last_used": nil, "enabled": true}
	})
}

func (s *Server) listInvitations(c *call) response {
	org := c.params["org"]
	role := c.query["role"]
	is := pick(s.st, &s.st.invites, func(i Invitation) bool { return i.Org == org && (role == "" || role == "all" || role == i.Role) })
	return listResp(c, is, func(i Invitation) map[string]any {
		return map[string]any{"id": i.ID, "login": nilIfEmpty(i.Login), "email": nilIfEmpty(i.Email), "role": i.Role,
			"created_at": ts(i.CreatedAt), "inviter": s.userRef(c, i.Inviter), "team_count": 0, "node_id": fmt.Sprintf("OI_kwDO%d", i.ID),
			"invitation_teams_url": fmt.Sprintf("%s/organizations/%s/invitations/%d/teams", c.base, org, i.ID), "invitation_source": "member"}
	})
}

func (s *Server) listInstallations(c *call) response {
	org := c.params["org"]
	is := pick(s.st, &s.st.installs, func(i Installation) bool { return i.Org == org })
	s.st.mu.Lock()
	o, _ := s.st.org(org)
	s.st.mu.Unlock()
	pg, h := page(c, is)
	out := make([]map[string]any, 0, len(pg))
	for _, i := range pg {
		out = append(out, map[string]any{
			"id": i.ID, "account": c.orgAccount(o), "repository_selection": "all",
			"access_tokens_url": fmt.Sprintf("%s/app/installations/%d/access_tokens", c.base, i.ID),
			"repositories_url":  c.base + "/installation/repositories",
			"html_url":          fmt.Sprintf("https://github.com/organizations/%s/settings/installations/%d", org, i.ID),
			"app_id":            i.AppID, "app_slug": i.AppSlug, "target_id": o.ID, "target_type": "Organization",
			"permissions": i.Permissions, "events": slices.Clone(i.Events), "created_at": ts(i.CreatedAt), "updated_at": ts(i.CreatedAt),
			"single_file_name": nil, "suspended_by": nil, "suspended_at": nil,
		})
	}
	return jsonResp(http.StatusOK, map[string]any{"total_count": len(is), "installations": out}).With(h)
}

func (s *Server) listCredentialAuthorizations(c *call) response {
	org := c.params["org"]
	login := c.query["login"]
	cs := pick(s.st, &s.st.creds, func(x CredentialAuthorization) bool { return x.Org == org && (login == "" || login == x.Login) })
	return listResp(c, cs, func(x CredentialAuthorization) map[string]any {
		out := map[string]any{"login": x.Login, "credential_id": x.CredentialID, "credential_type": x.CredentialType,
			"credential_authorized_at": ts(x.AuthorizedAt), "credential_accessed_at": nil, "authorized_credential_id": x.CredentialID}
		if x.TokenLastEight != "" {
			out["token_last_eight"] = x.TokenLastEight
			out["scopes"] = slices.Clone(x.Scopes)
		}
		if x.Fingerprint != "" {
			out["fingerprint"] = x.Fingerprint
		}
		return out
	})
}

// orgAccount is an organization as a simple-user-like account object.
func (c *call) orgAccount(o Org) map[string]any {
	a := c.simpleUser(o.Login, o.ID)
	a["type"] = "Organization"
	a["url"] = c.base + "/orgs/" + o.Login
	return a
}

func (c *call) repoJSON(r Repo, o Org) map[string]any {
	u := c.base + "/repos/" + r.FullName()
	out := map[string]any{
		"id": r.ID, "node_id": fmt.Sprintf("R_kgDO%d", r.ID), "name": r.Name, "full_name": r.FullName(),
		"owner": c.orgAccount(o), "private": r.Visibility != "public", "visibility": r.Visibility,
		"html_url": "https://github.com/" + r.FullName(), "description": nil, "fork": false, "url": u,
		"created_at": ts(r.CreatedAt), "updated_at": ts(r.CreatedAt), "pushed_at": ts(r.CreatedAt),
		"archived": false, "disabled": false, "default_branch": "main",
		// The full repository schema (GET /installation/repositories) requires these.
		"svn_url": "https://github.com/" + r.FullName(), "homepage": nil, "language": nil, "mirror_url": nil, "license": nil,
		"forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0, "size": 0,
		"open_issues": 0, "open_issues_count": 0,
		"has_issues": true, "has_projects": true, "has_wiki": true, "has_pages": false, "has_downloads": true,
	}
	for _, k := range []string{"archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits", "compare",
		"contents", "contributors", "deployments", "downloads", "events", "forks", "git_commits", "git_refs", "git_tags",
		"issue_comment", "issue_events", "issues", "keys", "labels", "languages", "merges", "milestones", "notifications",
		"pulls", "releases", "stargazers", "statuses", "subscribers", "subscription", "tags", "teams", "trees", "hooks"} {
		out[k+"_url"] = u + "/" + strings.ReplaceAll(k, "_", "/")
	}
	out["git_url"] = "git://github.com/" + r.FullName() + ".git"
	out["ssh_url"] = "git@github.com:" + r.FullName() + ".git"
	out["clone_url"] = "https://github.com/" + r.FullName() + ".git"
	return out
}
