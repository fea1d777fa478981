package scanners

import "encoding/json"
import "errors"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

const samples = "../testdata/scanners/"

// sampleSecrets lists every value of the sample reports that carries a
// secret, read with encoding/json independently of the parsers.
func sampleSecrets(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var gl []map[string]any
	mustJSON(t, samples+"gitleaks.json", &gl)
	for _, f := range gl {
		out["gitleaks.json"] = append(out["gitleaks.json"], f["Secret"].(string))
	}
	b, err := os.ReadFile(samples + "trufflehog.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"Raw", "RawV2"} {
			if s, _ := m[k].(string); s != "" {
				out["trufflehog.jsonl"] = append(out["trufflehog.jsonl"], s)
			}
		}
	}
	var kf struct {
		Findings []struct {
			Finding struct{ Snippet string } `json:"finding"`
		} `json:"findings"`
	}
	mustJSON(t, samples+"kingfisher.json", &kf)
	for _, f := range kf.Findings {
		out["kingfisher.json"] = append(out["kingfisher.json"], f.Finding.Snippet)
	}
	return out
}

func mustJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestSamplesAreReadWithEverySecretRegistered: each sample is recognised
// (auto) and read into its findings with rule and location, and every value
// that carries a secret, handled or not, is known to the redactor.
func TestSamplesAreReadWithEverySecretRegistered(t *testing.T) {
	secrets := sampleSecrets(t)
	want := map[string]struct {
		format string
		n      int
		first  string
	}{
		"gitleaks.json":    {Gitleaks, 5, "sendgrid-api-token deploy/app.env:12 (commit 3f9c2a7e41b0)"},
		"trufflehog.jsonl": {TruffleHog, 3, "SendGrid deploy/app.env:12 (commit 3f9c2a7e41b0)"},
		"kingfisher.json":  {Kingfisher, 2, "kingfisher.sendgrid.1 src/mailer.js:40 (commit 1d2e3f4a5b6c)"},
	}
	for file, w := range want {
		red := redact.New()
		format, fs, err := ReadFile(samples+file, Auto, red)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if format != w.format || len(fs) != w.n {
			t.Fatalf("%s: format %s, %d findings; want %s, %d", file, format, len(fs), w.format, w.n)
		}
		if got := fs[0].Rule + " " + fs[0].Location(); got != w.first {
			t.Errorf("%s: first finding %q, want %q", file, got, w.first)
		}
		if len(secrets[file]) < w.n {
			t.Fatalf("%s: the test found %d secrets", file, len(secrets[file]))
		}
		for _, s := range secrets[file] {
			if !red.Contains(s) {
				t.Errorf("%s: a secret (%d characters) is not registered", file, len(s))
			}
			if strings.Contains(fs[0].Location(), s) {
				t.Errorf("%s: a location quotes a secret", file)
			}
		}
	}
}

// TestSecretsBeforeAMalformedFindingAreRegistered: a report cut or broken
// half-way is refused, but what it held before the break is registered.
func TestSecretsBeforeAMalformedFindingAreRegistered(t *testing.T) {
	b, err := os.ReadFile(samples + "gitleaks.json")
	if err != nil {
		t.Fatal(err)
	}
	secrets := sampleSecrets(t)["gitleaks.json"]
	cut := strings.Index(string(b), `"generic-api-key"`)
	red := redact.New()
	_, _, err = Read(append(b[:cut:cut], []byte(`{"x": }`)...), Auto, red)
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "gitleaks report") {
		t.Fatalf("err = %v, want a gitleaks report error", err)
	}
	if strings.Contains(err.Error(), "SG.") {
		t.Error("the error quotes the report")
	}
	for _, s := range secrets[:2] { // the first two findings' secrets
		if !red.Contains(s) {
			t.Error("a secret before the break is not registered")
		}
	}
}

// TestHostileReports: every file keyir should refuse is refused with a
// clear error and no panic: not JSON, the wrong scanner, an unknown
// format, empty, a link, a FIFO, over the cap.
func TestHostileReports(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ name, body, format, want string }{
		{"garbage", "not json at all SG.", Auto, "not a scanner report"},
		{"empty", "  \n", Auto, "empty"},
		{"other", `{"kics": 1}`, Auto, "not a scanner report"},
		{"wrongformat", `[{"RuleID": "x"}]`, TruffleHog, "TruffleHog output"},
		{"notarray", `{"RuleID": "x"}`, Gitleaks, "array of findings"},
		{"unknown", `[]`, "semgrep", "unknown report format"},
		{"badline", "{\"DetectorName\":\"X\",\"Raw\":\"abcdefgh\"}\n{oops\n", Auto, "value 2"},
		{"typed", `[{"StartLine": "twelve"}]`, Auto, "finding 1"},
	} {
		_, _, err := ReadFile(write(c.name, c.body), c.format, redact.New())
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want an *Error containing %q", c.name, err, c.want)
		}
	}
	if _, fs, err := ReadFile(write("none", "[]"), Auto, redact.New()); err != nil || len(fs) != 0 {
		t.Errorf("an empty gitleaks report: %v, %d findings", err, len(fs))
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(samples+"gitleaks.json", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := write("big.json", "["+strings.Repeat(" ", MaxReport)+"]")
	for _, p := range []string{link, fifo, big} {
		_, _, err := ReadFile(p, Auto, redact.New())
		var refused *safefile.Error
		if !errors.As(err, &refused) {
			t.Errorf("%s: err = %v, want a safefile refusal", filepath.Base(p), err)
		}
	}
}

// FuzzParse: no input panics, and every finding returned has its secret
// registered.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"gitleaks.json", "trufflehog.jsonl", "kingfisher.json"} {
		b, err := os.ReadFile(samples + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, Auto)
	}
	f.Add([]byte(`{"findings": 3}`), Kingfisher)
	f.Add([]byte(`[{"Secret": 1}]`), Gitleaks)
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		red := redact.New()
		_, fs, err := Read(data, format, red)
		if err != nil {
			return
		}
		for _, x := range fs {
			if x.Secret == "" || (len(x.Secret) >= redact.MinLength && !red.Contains(x.Secret)) {
				t.Fatalf("finding's secret not registered (%d characters)", len(x.Secret))
			}
			_ = x.Location()
		}
	})
}
