package sendgridsim

// Owner is the parent account's own identity, as GET /v3/user/username
// answers it. The zero value answers DefaultOwner.
type Owner struct {
	Username string
	UserID   int
}

// DefaultOwner is the identity of a State whose owner was never set.
var DefaultOwner = Owner{Username: "keyir-sim-parent", UserID: 1000}

// SetOwner sets the parent account's identity (a second simulated account
// is told apart by it).
func (s *State) SetOwner(o Owner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owner = o
}

// Owner returns the parent account's identity.
func (s *State) Owner() Owner {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner == (Owner{}) {
		return DefaultOwner
	}
	return s.owner
}

// username is GET /v3/user/username: the parent's identity, or a
// subuser's (on-behalf-of), whose user id is its subuser id.
func (s *Server) username(c *call) response {
	type answer struct {
		Username string `json:"username"`
		UserID   int    `json:"user_id"`
	}
	if c.acct != "" {
		for _, u := range s.st.Subusers() {
			if u.Username == c.acct {
				return jsonResp(200, answer{u.Username, u.ID})
			}
		}
	}
	o := s.st.Owner()
	return jsonResp(200, answer(o))
}
