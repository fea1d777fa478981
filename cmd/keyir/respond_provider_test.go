package main

import "context"
import "embed"
import "fmt"
import "hash/crc32"
import "io"
import "io/fs"
import "net/http"
import "net/http/httptest"
import "strings"
import "sync"
import "testing"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// The test-only provider "zz" is registered the way a real one is (a key
// kind with a checksum, an input named otherwise than "key", its actions
// and its playbook), so keyir respond is shown to find a provider through
// the registry alone: nothing in keyir names it.

//go:embed testdata/zz/*.yaml
var zzFS embed.FS

// zzToken makes a Zz token: zz_, 24 characters, and 4 hex digits of the
// CRC-32 of those 24.
func zzToken(body string) string {
	return fmt.Sprintf("zz_%s%04x", body, crc32.ChecksumIEEE([]byte(body))&0xffff)
}

var zzKind = &provider.KeyKind{
	Kind:     "zz-token",
	Human:    "Zz token",
	Prefix:   "zz_",
	Pattern:  `zz_([a-z0-9]{24})([0-9a-f]{4})`,
	Checksum: func(key string) bool { return zzToken(key[3:27]) == key },
	Revoke:   "Zz: Settings → Tokens",
	Playbook: "zz-key-compromise",
	Input:    "token",
	Sample:   zzToken("sample0sample0sample0sam"),
}

func init() {
	actions.Register(actions.Info{Name: "zz.revoke", Summary: "revoke a Zz token", Mutates: true, Contains: true, New: func() actions.Action { return new(zzStep) }})
	actions.Register(actions.Info{Name: "zz.confirm", Summary: "prove a Zz token dead", Contains: true, New: func() actions.Action { return &zzStep{confirm: true} }})
	sub, err := fs.Sub(zzFS, "testdata/zz")
	if err != nil {
		panic(err)
	}
	provider.Register(provider.Provider{Name: "zz", Title: "Zz", Keys: []*provider.KeyKind{zzKind}, Playbooks: sub})
}

type zzStep struct {
	Token   string `param:"token,secret" desc:"the leaked token"`
	confirm bool
}

func (a *zzStep) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	method, path := http.MethodPost, "/revoke"
	if a.confirm {
		method, path = http.MethodGet, "/whoami"
	}
	req, err := http.NewRequestWithContext(ctx, method, env.Lookup("ZZ_API_URL")+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	switch {
	case !a.confirm && resp.StatusCode != http.StatusNoContent:
		return nil, fmt.Errorf("revoke answered %d", resp.StatusCode)
	case a.confirm && resp.StatusCode != http.StatusUnauthorized:
		return nil, fmt.Errorf("the token still authenticates (%d)", resp.StatusCode)
	case a.confirm:
		env.Recorder.Containment(report.Containment{Status: report.ContainmentConfirmed, Detail: "the token answered 401", At: env.Now()})
	}
	return actions.Outputs{"status": resp.StatusCode}, nil
}

// zzSim is the Zz API: a token authenticates until it is revoked. It
// records which tokens were revoked, in order.
type zzSim struct {
	mu      sync.Mutex
	revoked []string
}

func (s *zzSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	dead := !zzKind.Valid(tok)
	for _, t := range s.revoked {
		dead = dead || t == tok
	}
	switch {
	case dead:
		w.WriteHeader(http.StatusUnauthorized)
	case r.Method == http.MethodPost && r.URL.Path == "/revoke":
		s.revoked = append(s.revoked, tok)
		w.WriteHeader(http.StatusNoContent)
	default:
		_, _ = io.WriteString(w, `{"user":"zz"}`)
	}
}

func startZz(t *testing.T) (*zzSim, string) {
	sim := &zzSim{}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func (s *zzSim) revokedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.revoked...)
}
