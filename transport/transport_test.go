package transport

import "encoding/base64"
import "encoding/json"
import "errors"
import "io"
import "net/http"
import "net/http/httptest"
import "net/url"
import "strings"
import "sync"
import "testing"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// sink records what the guard reports.
type sink struct {
	mu       sync.Mutex
	evidence []Exchange
	planned  []report.PlannedChange
}

func (s *sink) Evidence(kind string, v any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evidence = append(s.evidence, v.(Exchange))
	return "evidence/x.jsonl#1", nil
}

func (s *sink) Planned(c report.PlannedChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.planned = append(s.planned, c)
}

func server(t *testing.T) (*httptest.Server, *int) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		io.WriteString(w, `{"token":"`+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestDryRunLetsOnlyReadsThrough(t *testing.T) {
	srv, hits := server(t)
	rec := &sink{}
	c := NewClient(Options{DryRun: true, Step: "revoke", Recorder: rec, Redactor: redact.New()})
	for _, m := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(m, srv.URL+"/keys", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s refused in a dry run: %v", m, err)
		}
		resp.Body.Close()
	}
	for _, m := range []string{"DELETE", "POST", "PUT", "PATCH"} {
		req, _ := http.NewRequest(m, srv.URL+"/keys/abc", strings.NewReader(`{"a":1}`))
		_, err := c.Do(req)
		if !errors.Is(err, ErrDryRun) {
			t.Fatalf("%s: want ErrDryRun, got %v", m, err)
		}
	}
	if *hits != 2 {
		t.Fatalf("the server saw %d requests; only the 2 reads may leave", *hits)
	}
	if len(rec.planned) != 4 || rec.planned[0].Method != "DELETE" || rec.planned[0].Body != `{"a":1}` || rec.planned[0].Step != "revoke" {
		t.Fatalf("planned changes %+v", rec.planned)
	}
}

func TestEvidenceIsRedactedAndCredentialsDropped(t *testing.T) {
	const secret = "CANARY-bearer-token-12345"
	srv, _ := server(t)
	rec := &sink{}
	c := NewClient(Options{Recorder: rec, Redactor: redact.New(secret)})
	req, _ := http.NewRequest("GET", srv.URL+"/x?key="+url.QueryEscape(secret), nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), secret) {
		t.Fatal("the caller must still get the real body")
	}
	if len(rec.evidence) != 1 {
		t.Fatalf("%d exchanges recorded", len(rec.evidence))
	}
	ex := rec.evidence[0]
	all := ex.URL + ex.RespBody + ex.ReqHeaders["Authorization"] + ex.RespHeads["X-Echo"]
	if strings.Contains(all, secret) {
		t.Fatalf("secret in evidence: %+v", ex)
	}
	if ex.ReqHeaders["Authorization"] != "[REDACTED]" || ex.Status != 200 {
		t.Fatalf("exchange %+v", ex)
	}
}

func TestPlainHTTPOnlyToLoopbackAndNoRedirects(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://api.sendgrid.com/v3": true,
		"http://127.0.0.1:8025":       true,
		"http://[::1]:8025":           true,
		"http://localhost:8025":       true,
		"http://api.sendgrid.com":     false,
		"http://10.0.0.5":             false,
		"ftp://127.0.0.1":             false,
	} {
		if err := CheckBaseURL("SENDGRID_API_URL", raw); (err == nil) != ok {
			t.Errorf("%s: err %v", raw, err)
		}
	}
	srv, _ := server(t)
	c := NewClient(Options{})
	resp, err := c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("a redirect was followed (status %d): it could carry credentials elsewhere", resp.StatusCode)
	}
}

// Every text of a recorded exchange is redacted (a header's name too: the
// server chooses it), so the exchange is a proven-clean value whose
// evidence encoding needs only the surface pass, and that pass gives what
// the full one gives.
func TestExchangeIsRedactedWholeAndProvenClean(t *testing.T) {
	secret := "SG.AbCdEfGhIjKlMnOpQrStUv.CANARYleakedSECRETpart0123456789abcdefghijk"
	enc := base64.StdEncoding.EncodeToString([]byte("apikey:" + secret))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-"+secret[3:25]+"-"+secret[26:40], "v")
		w.Header().Set("X-Echo", enc)
		io.WriteString(w, `{"basic":"`+enc+`","raw":"`+secret+`"}`)
	}))
	defer srv.Close()
	red := redact.New(secret)
	rec := &sink{}
	c := NewClient(Options{Step: "s", Recorder: rec, Redactor: red})
	resp, err := c.Get(srv.URL + "/x?k=" + url.QueryEscape(secret))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rec.evidence) != 1 {
		t.Fatalf("recorded %d exchanges", len(rec.evidence))
	}
	ex := rec.evidence[0]
	raw, _ := json.Marshal(ex)
	if red.Contains(string(raw)) {
		t.Fatalf("the exchange's texts still hold the secret: %s", raw)
	}
	got, err := red.JSON(ex)
	if err != nil {
		t.Fatal(err)
	}
	if full := red.Bytes(raw); string(got) != string(full) {
		t.Fatalf("surface pass\n%s\nfull pass\n%s", got, full)
	}
	// The proof holds only until a secret is added.
	late := "a-secret-registered-later"
	red.Add(late)
	ex.RespBody = base64.StdEncoding.EncodeToString([]byte(late)) // as if it had been in the body
	if got, _ := red.JSON(ex); strings.Contains(string(got), ex.RespBody) {
		t.Fatalf("a secret registered after the exchange was recorded survived: %s", got)
	}
}
