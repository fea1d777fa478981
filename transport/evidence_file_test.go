package transport

import "context"
import "encoding/base64"
import "encoding/hex"
import "encoding/json"
import "fmt"
import "io"
import "net/http"
import "net/http/httptest"
import "net/url"
import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// fileRecorder writes evidence as the playbook's recorder does: Record,
// then the evidence writer, which splices an encoding the redaction left
// unchanged into the line without validating it again.
type fileRecorder struct {
	red *redact.Redactor
	ev  *runstore.EvidenceWriter
	// hold, when set, is signalled on entry and waited on before the
	// record: the test registers a secret between the exchange's
	// redaction and its record.
	entered, hold chan struct{}
}

func (f *fileRecorder) Evidence(kind string, v any) (string, error) {
	if f.hold != nil {
		f.entered <- struct{}{}
		<-f.hold
	}
	b, err := f.red.Record(v)
	if err != nil {
		return "", err
	}
	return f.ev.Write(kind, b)
}

func (f *fileRecorder) Planned(report.PlannedChange) {}

// TestEvidenceFileHoldsNoFormOfTheSecret: answers echoing a key raw, in
// base64 (standard and URL alphabets, as a Basic pair), hex, URL- and
// JSON-escaped, in a header and in the query, recorded over HTTP (with and
// without Pipelined) into a real evidence file: no form of the key is in
// the file, each line is JSON, and a secret registered after an answer
// was redacted but before its record is caught (the full pass, since the
// proof no longer holds; a splice of the unchanged encoding would leak it).
func TestEvidenceFileHoldsNoFormOfTheSecret(t *testing.T) {
	const key = "SG.evidenceCANARYkeyid00.evidenceCANARYsecret00000000000000000000000000"
	const late = "late-CANARY-registered-value-77"
	forms := func(s string) []string {
		j, _ := json.Marshal(s)
		u := ""
		for _, c := range []byte(s) {
			u += fmt.Sprintf(`\u%04x`, c)
		}
		return []string{s,
			base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte("api:" + s)),
			base64.RawStdEncoding.EncodeToString([]byte("Bearer " + s)),
			hex.EncodeToString([]byte(s)), url.QueryEscape(s), strings.ReplaceAll(url.QueryEscape(s), ".", "%2E"),
			string(j[1 : len(j)-1]), u, s[len(s)-20:], s[3:25]}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", hex.EncodeToString([]byte(key)))
		s := key
		if r.URL.Query().Get("late") != "" {
			s = late
		}
		out, _ := json.Marshal(map[string]any{"forms": forms(s), "plain": strings.Repeat("row ", 500)})
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	run := report.Run{ID: "r-20261202-abc123", Incident: "INC-1", Playbook: "p", Mode: report.ModeLive}
	st, err := runstore.Create(t.TempDir(), run)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ev, err := st.EvidenceFile(1, "activity")
	if err != nil {
		t.Fatal(err)
	}
	red := redact.New(key)
	rec := &fileRecorder{red: red, ev: ev}
	c := NewClient(Options{Step: "activity", Recorder: rec, Redactor: red})
	get := func(ctx context.Context, q string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v3/messages?"+q, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get(context.Background(), "k="+url.QueryEscape(key))
	ctx, settle := Pipelined(context.Background())
	get(ctx, "n=1")
	get(ctx, "n=2")
	settle()
	// An answer holding a value not yet registered: redacted without it;
	// the value is registered (as the runner does with a key an API
	// returned) while the record waits.
	rec.entered, rec.hold = make(chan struct{}), make(chan struct{})
	get(ctx, "late=1")
	<-rec.entered
	red.Add(late)
	close(rec.hold)
	settle()
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(st.Dir(), filepath.FromSlash(ev.Name())))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d records, want 4", len(lines))
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("record %d is not JSON: %.200q", i+1, l)
		}
	}
	for _, s := range []string{key, late} {
		for _, f := range forms(s) {
			if strings.Contains(string(data), f) {
				t.Fatalf("the evidence file holds %q (a form of a secret)", f)
			}
		}
		if !strings.Contains(string(data), redact.Token(s)) {
			t.Fatalf("no token for %q: the answers were not redacted as expected", s[:8])
		}
	}
	if red.Contains(string(data)) {
		t.Fatal("the redactor still finds a secret in the evidence file")
	}
}
