package main

import "bytes"
import "context"
import "encoding/json"
import "io/fs"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"

// canaryRotated is the secret the simulator is made to return for every key
// it creates. It has no key shape, so only its registration with the
// redactor (not shape matching) can keep it out of the evidence.
const canaryRotated = "CANARY-rotated-secret-0123456789-abcdefghijklmnopqrstuv"

type rotateWorld struct {
	envv    map[string]string
	srv     *sendgridsim.Server
	st      *sendgridsim.State
	leaked  sendgridsim.Key
	reports string
	parent  string // the incident run directory
}

// newRotateWorld starts the simulator with the leaked key in subuser
// "marketing", runs the incident playbook against it, and returns the
// sealed incident run. Every key the simulator creates is answered with
// canaryRotated as its secret.
func newRotateWorld(t *testing.T, leakedScopes []string) *rotateWorld {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 9))
	st := sendgridsim.NewState()
	st.AddSubuser(sendgridsim.Subuser{Username: "marketing", Email: "m@example.com"})
	scopes := append(sendgridsim.ResponderScopes(), "api_keys.create")
	for _, s := range leakedScopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	responder := sendgridsim.NewKey(rng, "responder", scopes)
	leaked := sendgridsim.NewKey(rng, "newsletter sender", leakedScopes)
	leaked.Subuser = "marketing"
	st.AddKey(responder)
	st.AddKey(leaked)
	st.AddKey(sendgridsim.NewKey(rng, "innocent", []string{"mail.send"}))
	cfg := sendgridsim.DefaultConfig()
	cfg.Limits = nil
	srv := sendgridsim.New(st, cfg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v3/api_keys" {
			srv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var m map[string]any
		if rec.Code == http.StatusCreated && json.Unmarshal(body, &m) == nil {
			m["api_key"] = canaryRotated
			body, _ = json.Marshal(m)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
	url, shutdown, err := sendgridsim.Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(context.Background()) })
	w := &rotateWorld{envv: map[string]string{"SENDGRID_API_KEY": responder.Token(), "SENDGRID_API_URL": url, "SENDGRID_API_URL_EU": url},
		srv: srv, st: st, leaked: leaked, reports: filepath.Join(t.TempDir(), "reports")}
	r := keyir(t, leaked.Token()+"\n", w.envv, "run", "sendgrid-key-compromise", "--key", "-", "--incident", "INC-ROT", "--reports", w.reports)
	if r.code != 0 {
		t.Fatalf("incident run: exit %d\n%s", r.code, r.stderr)
	}
	w.parent = onlyRunDir(t, w.reports)
	return w
}

// created are the keys the simulator created since the incident run.
func (w *rotateWorld) created(t *testing.T) []sendgridsim.Key {
	t.Helper()
	var out []sendgridsim.Key
	for _, sub := range []string{"", "marketing"} {
		for _, k := range w.st.Keys(sub) {
			if strings.Contains(k.Name, "(rotated ") {
				out = append(out, k)
			}
		}
	}
	return out
}

func (w *rotateWorld) newRunDirs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, d := range dirsIn(w.reports) {
		if d != w.parent {
			out = append(out, d)
		}
	}
	return out
}

// assertSecretOnlyIn searches every file under roots and every output for
// the secret in every encoding the redactor knows (leakForms: raw 12-byte
// runs, base64 at each alignment, hex, HTML, percent and \u escapes), and
// the redactor's own matcher.
func assertSecretOnlyIn(t *testing.T, secret string, allowed []string, roots []string, outputs ...string) {
	t.Helper()
	forms := append([]string{secret}, leakForms(secret)...)
	probe := redact.New(secret)
	check := func(name string, b []byte) {
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("%s holds the new secret (as %.24q)", name, f)
				return
			}
		}
		if probe.Contains(string(b)) {
			t.Errorf("%s holds the new secret in an encoding the redactor knows", name)
		}
	}
	for i, o := range outputs {
		check("output "+string(rune('0'+i)), []byte(o))
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || slices.Contains(allowed, p) {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				return nil
			}
			check(p, b)
			return nil
		})
	}
}

// The canary test: rotate to a file and to a command; the secret is found
// in the file and in what the command received, and nowhere else: not in
// any file keyir wrote (the new run, the reports root), not on stdout or
// stderr, not in what the command printed (passed through the redactor).
func TestRotateSecretGoesOnlyToItsDestination(t *testing.T) {
	w := newRotateWorld(t, []string{"mail.send", "stats.read"})
	parentHead := verifyHead(t, w.parent)
	dest := t.TempDir()
	out := filepath.Join(dest, "new.key")

	r := keyir(t, "", w.envv, "rotate", w.parent, "--out", out)
	if r.code != 0 {
		t.Fatalf("rotate --out: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil || string(raw) != canaryRotated+"\n" {
		t.Fatalf("secret file: %q %v", raw, err)
	}
	if fi, _ := os.Lstat(out); fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, want 0600", fi.Mode().Perm())
	}
	// --exec: tee writes its stdin to a file (the destination) and to its
	// stdout, which keyir passes through the redactor.
	teeFile := filepath.Join(dest, "tee.key")
	r2 := keyir(t, "", w.envv, "rotate", w.parent, "--exec", "tee "+teeFile, "--output", "json")
	if r2.code != 0 {
		t.Fatalf("rotate --exec: exit %d\n%s%s", r2.code, r2.stdout, r2.stderr)
	}
	if raw, _ := os.ReadFile(teeFile); string(raw) != canaryRotated+"\n" {
		t.Fatalf("the command's stdin: %q", raw)
	}
	if !strings.Contains(r2.stderr, redact.Token(canaryRotated)) {
		t.Errorf("the command's output did not pass through the redactor: %q", r2.stderr)
	}
	assertSecretOnlyIn(t, canaryRotated, []string{out, teeFile}, []string{filepath.Dir(w.reports), dest}, r.stdout, r.stderr, r2.stdout, r2.stderr)

	// Exactly the recorded scopes, in the owner's account, named after it.
	keys := w.created(t)
	if len(keys) != 2 {
		t.Fatalf("created keys: %+v", keys)
	}
	wantName := "newsletter sender (rotated " + time.Now().UTC().Format(time.DateOnly) + ")"
	for _, k := range keys {
		got := slices.Clone(k.Scopes)
		slices.Sort(got)
		if k.Subuser != "marketing" || k.Name != wantName || !slices.Equal(got, []string{"mail.send", "stats.read"}) {
			t.Errorf("replacement %+v: want subuser marketing, name %q, scopes [mail.send stats.read]", k, wantName)
		}
	}
	for _, q := range w.srv.Requests() {
		if q.Method != http.MethodPost || q.Path != "/v3/api_keys" {
			continue
		}
		var body struct {
			Scopes *[]string `json:"scopes"`
		}
		if json.Unmarshal(q.Body, &body) != nil || body.Scopes == nil || len(*body.Scopes) != 2 {
			t.Errorf("creation body without the explicit scopes: %s", q.Body)
		}
		if q.Header.Get("On-Behalf-Of") != "marketing" {
			t.Errorf("creation not on behalf of the owner: %v", q.Header)
		}
	}

	// The record: a new, sealed run linked to the parent, which is untouched.
	if h := verifyHead(t, w.parent); h != parentHead {
		t.Fatalf("the incident run changed: head %s -> %s", parentHead, h)
	}
	runs := w.newRunDirs(t)
	if len(runs) != 2 {
		t.Fatalf("new runs: %v", runs)
	}
	var doc rotation
	if err := json.Unmarshal([]byte(r2.stdout), &doc); err != nil {
		t.Fatalf("--output json: %v\n%s", err, r2.stdout)
	}
	if doc.ParentManifestHead != parentHead || doc.Replacement.Fingerprint != redact.Fingerprint(canaryRotated) || doc.Replacement.ID == "" || !slices.Contains(runs, doc.RunDir) {
		t.Fatalf("json: %+v", doc)
	}
	verifyHead(t, doc.RunDir)
	rep, err := runstore.Load(doc.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Inputs["parent_manifest_head"] != parentHead || rep.Run.Inputs["parent_run"] == "" || rep.Run.Incident != "INC-ROT" {
		t.Errorf("run.json does not link the parent: %+v", rep.Run)
	}
	o := rep.Steps[0].Outputs
	if o["api_key_id"] != doc.Replacement.ID || o["fingerprint"] != redact.Fingerprint(canaryRotated) || o["name"] != wantName {
		t.Errorf("step outputs: %v", o)
	}
}

func verifyHead(t *testing.T, dir string) string {
	t.Helper()
	res, err := runstore.Verify(dir)
	if err != nil || !res.OK() || res.Head == "" {
		t.Fatalf("verify %s: %v %v", dir, err, res.Reasons())
	}
	return res.Head
}

func TestRotateRefusesBadInputBeforeCreatingAnything(t *testing.T) {
	w := newRotateWorld(t, []string{"mail.send"})
	dir := t.TempDir()
	existing := writeFile(t, dir, "exists", "keep me\n")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no destination", []string{"rotate", w.parent}, 2, "--out FILE"},
		{"two destinations", []string{"rotate", w.parent, "--out", filepath.Join(dir, "a"), "--exec", "cat"}, 2, "exclude"},
		{"existing file", []string{"rotate", w.parent, "--out", existing}, 2, "exists already"},
		{"dangling link", []string{"rotate", w.parent, "--out", link}, 2, "exists already"},
		{"stdout not a terminal", []string{"rotate", w.parent, "--out", "-"}, 2, "terminal"},
		{"unknown command", []string{"rotate", w.parent, "--exec", "no-such-secret-writer-xyz"}, 2, "--exec"},
		{"not a run", []string{"rotate", dir, "--out", filepath.Join(dir, "b")}, 2, ""},
		{"into the evidence", []string{"rotate", w.parent, "--out", filepath.Join(w.parent, "evidence", "new.key")}, 2, "sealed directory"},
	}
	for _, c := range cases {
		r := keyir(t, "", w.envv, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s", c.name, r.code, c.code, c.want, r.stderr)
		}
	}
	if raw, _ := os.ReadFile(existing); string(raw) != "keep me\n" {
		t.Fatal("an existing file was overwritten")
	}
	if _, err := os.Lstat(filepath.Join(dir, "target")); err == nil {
		t.Fatal("a link was followed")
	}

	// Tampered: one byte of the evidence changed. Exit 1, nothing created.
	rj := filepath.Join(w.parent, runstore.FindingsFile)
	b, _ := os.ReadFile(rj)
	os.WriteFile(rj, append(b, ' '), 0o600)
	r := keyir(t, "", w.envv, "rotate", w.parent, "--out", filepath.Join(dir, "c"))
	if r.code != 1 || !strings.Contains(r.stderr, "TAMPERED") {
		t.Errorf("tampered run: exit %d\n%s", r.code, r.stderr)
	}
	os.WriteFile(rj, b, 0o600)
	// Unsealed: MANIFEST gone.
	m := filepath.Join(w.parent, runstore.ManifestFile)
	mb, _ := os.ReadFile(m)
	os.Remove(m)
	r = keyir(t, "", w.envv, "rotate", w.parent, "--out", filepath.Join(dir, "d"))
	if r.code == 0 {
		t.Errorf("unsealed run accepted\n%s", r.stderr)
	}
	os.WriteFile(m, mb, 0o600)
	if n := w.srv.Count(http.MethodPost, "POST /v3/api_keys"); n != 0 || len(w.created(t)) != 0 {
		t.Fatalf("%d key creations after refusals", n)
	}
	for _, p := range []string{"a", "b", "c", "d"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("refused rotation left %s", p)
		}
	}
	if n := len(w.newRunDirs(t)); n != 0 {
		t.Errorf("refusals left %d run directories", n)
	}
}

func TestRotateFullAccessNeedsConsent(t *testing.T) {
	w := newRotateWorld(t, sendgridsim.FullAccessScopes())
	dir := t.TempDir()
	r := keyir(t, "yes\n", w.envv, "rotate", w.parent, "--out", filepath.Join(dir, "a"))
	if r.code != 2 || !strings.Contains(r.stderr, "FULL ACCESS") || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("full access without --yes, no terminal: exit %d\n%s", r.code, r.stderr)
	}
	if len(w.created(t)) != 0 {
		t.Fatal("created without consent")
	}
	// On a terminal: a typed answer other than yes refuses, yes creates.
	old := isTerminal
	isTerminal = func(any) bool { return true }
	defer func() { isTerminal = old }()
	if r := keyir(t, "y\n", w.envv, "rotate", w.parent, "--out", filepath.Join(dir, "b")); r.code != 2 || len(w.created(t)) != 0 {
		t.Fatalf("answer y: exit %d, %d created\n%s", r.code, len(w.created(t)), r.stderr)
	}
	r = keyir(t, "yes\n", w.envv, "rotate", w.parent, "--out", filepath.Join(dir, "c"))
	if r.code != 0 || len(w.created(t)) != 1 || !strings.Contains(r.stdout, "Narrow it") {
		t.Fatalf("typed yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	isTerminal = old
	r = keyir(t, "", w.envv, "rotate", w.parent, "--out", filepath.Join(dir, "d"), "--yes", "--output", "json")
	var doc rotation
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil || doc.Recommendation == "" || doc.Replacement.KeyType != sendgrid.TypeFull {
		t.Fatalf("--yes: exit %d %+v\n%s", r.code, doc, r.stderr)
	}
	for _, k := range w.created(t) {
		if extra := slices.DeleteFunc(slices.Clone(k.Scopes), func(s string) bool { return slices.Contains(w.leaked.Scopes, s) }); len(extra) > 0 {
			t.Errorf("replacement broader than the original: %v", extra)
		}
	}
}

func TestRotateDryRunCreatesNothing(t *testing.T) {
	w := newRotateWorld(t, []string{"mail.send"})
	out := filepath.Join(t.TempDir(), "new.key")
	r := keyir(t, "", w.envv, "rotate", w.parent, "--out", out, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "DRY RUN") || !strings.Contains(r.stdout, "POST ") || !strings.Contains(r.stdout, `"scopes":["mail.send"]`) {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := w.srv.Count(http.MethodPost, ""); n != 0 {
		t.Fatalf("%d POSTs reached the simulator", n)
	}
	if _, err := os.Lstat(out); err == nil {
		t.Fatal("dry run created the secret file")
	}
	// KEYIR_DRY_RUN asks for the same, --yes or not (README: every flag
	// from KEYIR_<FLAG>); rotate ignored it and created the key.
	// (Flags read the process's environment, not the test's map.)
	t.Setenv("KEYIR_DRY_RUN", "true")
	if r := keyir(t, "", w.envv, "rotate", w.parent, "--out", out, "--yes"); r.code != 0 || !strings.Contains(r.stdout, "DRY RUN") {
		t.Fatalf("KEYIR_DRY_RUN: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := w.srv.Count(http.MethodPost, ""); n != 0 {
		t.Fatalf("with KEYIR_DRY_RUN %d POSTs reached the simulator", n)
	}
	if _, err := os.Lstat(out); err == nil {
		t.Fatal("the KEYIR_DRY_RUN run created the secret file")
	}
}

// A run that recorded no scopes for the key is refused; never a
// full-access key by omission.
func TestRecordedKeyWithoutScopesIsRefused(t *testing.T) {
	rep := &report.Report{Steps: []report.Step{{Action: "sendgrid.locate_key", Outputs: map[string]any{
		"found": true, "owner_known": true, "key_id": "AbCdEfGhIjKlMnOpQrStUv", "name": "x", "owner": "", "owner_region": "global", "scopes": []any{"2fa_required"}}}}}
	k, err := recordedKey(rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sendgrid.GrantableScopes(k.Scopes); err == nil || !strings.Contains(err.Error(), "full-access") {
		t.Fatalf("no grantable scopes: %v", err)
	}
	if _, err := recordedKey(&report.Report{Steps: []report.Step{{Action: "sendgrid.locate_key", Outputs: map[string]any{"found": false}}}}); err == nil {
		t.Fatal("a key no step found was accepted")
	}
}
