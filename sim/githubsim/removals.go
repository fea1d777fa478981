package githubsim

import "encoding/json"
import "net/http"
import "strconv"

// The removals an organization owner's token can make (keyir eradicate):
// deploy keys, repository and organization webhooks, pending invitations,
// and a repository's visibility. Each is as strict as GitHub: the token's
// scopes or permissions, owner or repository admin rights, and 404 for what
// is not there (already removed, or never was).
var removalRoutes = []*route{
	{method: "DELETE", tmpl: "/repos/{owner}/{repo}/keys/{key_id}", scopes: []string{"repo"}, perm: [2]string{"administration", "write"}, repoAdm: true,
		h: (*Server).deleteDeployKey, doc: docsRoot + "/deploy-keys/deploy-keys#delete-a-deploy-key"},
	{method: "DELETE", tmpl: "/repos/{owner}/{repo}/hooks/{hook_id}", scopes: []string{"admin:repo_hook", "repo"}, perm: [2]string{"repository_hooks", "write"}, repoAdm: true,
		h: (*Server).deleteRepoHook, doc: docsRoot + "/repos/webhooks#delete-a-repository-webhook"},
	{method: "DELETE", tmpl: "/orgs/{org}/hooks/{hook_id}", scopes: []string{"admin:org_hook"}, perm: [2]string{"organization_hooks", "write"}, orgOwner: true,
		h: (*Server).deleteOrgHook, doc: docsRoot + "/orgs/webhooks#delete-an-organization-webhook"},
	{method: "DELETE", tmpl: "/orgs/{org}/invitations/{invitation_id}", scopes: []string{"admin:org"}, perm: [2]string{"members", "write"}, orgOwner: true,
		h: (*Server).cancelInvitation, doc: docsRoot + "/orgs/members#cancel-an-organization-invitation"},
	{method: "PATCH", tmpl: "/repos/{owner}/{repo}", scopes: []string{"repo"}, perm: [2]string{"administration", "write"}, repoAdm: true,
		h: (*Server).updateRepo, doc: docsRoot + "/repos/repos#update-a-repository"},
}

func init() {
	for _, r := range removalRoutes {
		r.name = r.method + " " + r.tmpl
	}
	routes = append(routes, removalRoutes...)
}

// removeWhere drops the first item of *list that match accepts, under the
// lock, and reports whether there was one.
func removeWhere[T any](s *State, list *[]T, match func(T) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range *list {
		if match(x) {
			*list = append((*list)[:i:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}

// removed answers a removal: 204, or 404 when there was nothing to remove.
func removed(ok bool, rt string) response {
	if !ok {
		return ghError(http.StatusNotFound, "Not Found", docsRoot+rt)
	}
	return response{Status: http.StatusNoContent}
}

// idParam is a numeric path id (0 when it is not one: nothing has it).
func idParam(c *call, name string) int64 {
	n, _ := strconv.ParseInt(c.params[name], 10, 64)
	return n
}

func (s *Server) deleteDeployKey(c *call) response {
	full, id := c.params["owner"]+"/"+c.params["repo"], idParam(c, "key_id")
	return removed(removeWhere(s.st, &s.st.deploy, func(k DeployKey) bool { return k.Repo == full && k.ID == id }), "/deploy-keys/deploy-keys#delete-a-deploy-key")
}

func (s *Server) deleteRepoHook(c *call) response {
	full, id := c.params["owner"]+"/"+c.params["repo"], idParam(c, "hook_id")
	return removed(removeWhere(s.st, &s.st.hooks, func(h Hook) bool { return h.Repo == full && h.ID == id }), "/repos/webhooks#delete-a-repository-webhook")
}

func (s *Server) deleteOrgHook(c *call) response {
	org, id := c.params["org"], idParam(c, "hook_id")
	return removed(removeWhere(s.st, &s.st.hooks, func(h Hook) bool { return h.Repo == "" && h.Org == org && h.ID == id }), "/orgs/webhooks#delete-an-organization-webhook")
}

func (s *Server) cancelInvitation(c *call) response {
	org, id := c.params["org"], idParam(c, "invitation_id")
	return removed(removeWhere(s.st, &s.st.invites, func(i Invitation) bool { return i.Org == org && i.ID == id }), "/orgs/members#cancel-an-organization-invitation")
}

// updateRepo changes what keyir changes back: private (a boolean) or
// visibility (public, private, internal). Anything else in the body is
// ignored, as fields GitHub does not know are; a body that is not a JSON
// object, or a value of the wrong type, is 422.
func (s *Server) updateRepo(c *call) response {
	var body struct {
		Private    *bool   `json:"private"`
		Visibility *string `json:"visibility"`
	}
	invalid := func(field string) response {
		return jsonResp(http.StatusUnprocessableEntity, map[string]any{
			"message": "Validation Failed", "documentation_url": docsRoot + "/repos/repos#update-a-repository", "status": "422",
			"errors": []map[string]string{{"resource": "Repository", "field": field, "code": "invalid"}},
		})
	}
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &body); err != nil {
			return jsonResp(http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON", "documentation_url": docsRoot + "/repos/repos#update-a-repository", "status": "400"})
		}
	}
	full := c.params["owner"] + "/" + c.params["repo"]
	switch {
	case body.Visibility != nil:
		if v := *body.Visibility; v != "public" && v != "private" && v != "internal" {
			return invalid("visibility")
		}
		s.st.SetVisibility(full, *body.Visibility)
	case body.Private != nil && *body.Private:
		s.st.SetVisibility(full, "private")
	case body.Private != nil:
		s.st.SetVisibility(full, "public")
	}
	s.st.mu.Lock()
	r, _ := s.st.repo(full)
	o, _ := s.st.org(r.Owner)
	s.st.mu.Unlock()
	return jsonResp(http.StatusOK, c.repoJSON(r, o))
}

// HasDeployKey, HasHook and HasInvitation report whether the state holds
// the item with that id (a drill checks what an eradication removed by the
// ids its plan names).
func (s *State) HasDeployKey(id int64) bool {
	return len(pick(s, &s.deploy, func(k DeployKey) bool { return k.ID == id })) > 0
}

// HasHook: see HasDeployKey.
func (s *State) HasHook(id int64) bool {
	return len(pick(s, &s.hooks, func(h Hook) bool { return h.ID == id })) > 0
}

// HasInvitation: see HasDeployKey.
func (s *State) HasInvitation(id int64) bool {
	return len(pick(s, &s.invites, func(i Invitation) bool { return i.ID == id })) > 0
}
