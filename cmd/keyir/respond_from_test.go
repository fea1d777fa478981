package main

import "context"
import "encoding/json"
import "math/rand/v2"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// twoLeakedKeys is a SendGrid account with two leaked keys.
func twoLeakedKeys(t *testing.T) (envv map[string]string, srv *sendgridsim.Server, leaked []sendgridsim.Key) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	st := sendgridsim.NewState()
	responder := sendgridsim.NewKey(rng, "responder", sendgridsim.ResponderScopes())
	st.AddKey(responder)
	for _, n := range []string{"leaky-1", "leaky-2"} {
		k := sendgridsim.NewKey(rng, n, []string{"mail.send"})
		st.AddKey(k)
		leaked = append(leaked, k)
	}
	st.AddKey(sendgridsim.NewKey(rng, "innocent", []string{"mail.send"}))
	srv = sendgridsim.New(st, sendgridsim.DefaultConfig())
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Shutdown(context.Background()) })
	return map[string]string{"SENDGRID_API_KEY": responder.Token(), "SENDGRID_API_URL": hosts.URL, "SENDGRID_API_URL_EU": hosts.EUURL}, srv, leaked
}

type glFinding struct {
	RuleID, Secret, Match, File, Commit string
	StartLine                           int
}

// TestRespondFromContainsEveryKeyInOneIncident: a gitleaks report with two
// SendGrid keys (one found twice), a token of the test-only provider and
// an AWS key: one run directory revokes and proves dead the three keys
// keyir handles, the report gives each key's outcome, the AWS key is listed
// as not handled by rule and location, and no secret of the report reaches
// any output or file.
func TestRespondFromContainsEveryKeyInOneIncident(t *testing.T) {
	envv, srv, leaked := twoLeakedKeys(t)
	zz, zzURL := startZz(t)
	envv["ZZ_API_URL"] = zzURL
	zzTok := zzToken("respondfromzz0respondfro")
	awsID, awsSecret := "AKIAQ7EXAMPLEXYZ1234", "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY9"
	fs := []glFinding{
		{"sendgrid-api-token", leaked[0].Token(), "KEY=" + leaked[0].Token(), "deploy/app.env", "3f9c2a7e41b05d8c6e1f", 3},
		{"aws-access-token", awsID, "id=" + awsID, "infra/credentials", "9a8b7c6d5e4f", 2},
		{"generic-api-key", zzTok, "tok: " + zzTok, "z.yaml", "9a8b7c6d5e4f", 4},
		{"sendgrid-api-token", leaked[1].Token(), leaked[1].Token(), "src/mailer.js", "1d2e3f4a", 40},
		{"aws-secret", awsSecret, awsSecret, "infra/credentials", "9a8b7c6d5e4f", 3},
		{"sendgrid-api-token", leaked[0].Token(), leaked[0].Token(), "docs/notes.md", "3f9c2a7e41b05d8c6e1f", 2},
	}
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	from := writeFile(t, dir, "gitleaks.json", string(b))
	reports := filepath.Join(dir, "reports")
	r := keyir(t, "", envv, "respond", "--from", from, "--incident", "INC-50", "--reports", reports, "--window-start", "48h", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%.2000s", err, r.stdout)
	}
	if n := len(dirsIn(reports)); n != 1 {
		t.Fatalf("%d run directories, want one incident", n)
	}
	keys := out.Report.Keys
	if len(keys) != 3 || out.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("keys %+v, containment %+v", keys, out.Report.Run.Containment)
	}
	for _, k := range keys {
		if k.Containment.Status != report.ContainmentConfirmed {
			t.Errorf("%s (%s): %+v", k.Label, k.Kind, k.Containment)
		}
	}
	if !slices.Equal(keys[0].Found, []string{"deploy/app.env:3 (commit 3f9c2a7e41b0)", "docs/notes.md:2 (commit 3f9c2a7e41b0)"}) || keys[1].Kind != "zz-token" {
		t.Errorf("keys %+v", keys)
	}
	for _, k := range leaked {
		if srv.State().KeyLive(k.ID, time.Now()) {
			t.Errorf("key %s still live", k.Name)
		}
	}
	if got := zz.revokedTokens(); !slices.Equal(got, []string{zzTok}) {
		t.Errorf("zz revoked %d tokens", len(got))
	}
	for _, want := range []string{
		"not handled: aws-access-token at infra/credentials:2 (commit 9a8b7c6d5e4f) — no shape keyir responds to",
		"not handled: aws-secret at infra/credentials:3",
		"k1: SendGrid API key",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	notifytest.AssertLeaksNoSecret(t, []string{leaked[0].Secret, leaked[1].Secret, zzTok, awsID, awsSecret}, everyOutput(r, reports)...)
}

// TestRespondFromEachSampleDryRun: each sample report under
// testdata/scanners is read, its SendGrid keys planned in one dry run
// against the simulator, the others listed as not handled; nothing is
// revoked.
func TestRespondFromEachSampleDryRun(t *testing.T) {
	envv, srv, _ := simAccount(t, sendgridsim.ResponderScopes())
	for _, c := range []struct{ file, format string }{
		{"gitleaks.json", "auto"}, {"trufflehog.jsonl", "trufflehog"}, {"kingfisher.json", "auto"},
	} {
		reports := filepath.Join(t.TempDir(), "reports")
		r := keyir(t, "", envv, "respond", "--from", "../../testdata/scanners/"+c.file, "--format", c.format, "--dry-run", "--reports", reports)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", c.file, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "not handled: ") || !strings.Contains(r.stdout, "Keys (") || !strings.Contains(r.stdout, "→ planned") {
			t.Errorf("%s:\n%s\n%s", c.file, r.stdout, r.stderr)
		}
		if n := len(dirsIn(reports)); n != 1 {
			t.Errorf("%s: %d run directories", c.file, n)
		}
		// The canary: no secret of the report, handled or not, in the
		// terminal or any file of the run (journal, evidence, reports).
		notifytest.AssertLeaksNoSecret(t, sampleSecrets(t, c.file), everyOutput(r, reports)...)
	}
	for _, req := range srv.Requests() {
		if req.Method != "GET" {
			t.Fatalf("a dry run sent %s %s", req.Method, req.Path)
		}
	}
}

// TestRespondFromRefusesWhatItCannotRead: a malformed report, a link, a
// FIFO, a report with nothing keyir handles: exit 2, no run directory, no
// secret quoted.
func TestRespondFromRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	awsSecret := "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY9"
	onlyAWS := writeFile(t, dir, "aws.json", `[{"RuleID":"aws-secret","Secret":"`+awsSecret+`","File":"a","StartLine":1}]`)
	broken := writeFile(t, dir, "broken.json", `[{"RuleID":"x","Secret":"`+awsSecret+`"}, {"RuleID": }]`)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(onlyAWS, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", onlyAWS}, "nothing to respond to"},
		{[]string{"--from", broken}, "gitleaks report: finding 2"},
		{[]string{"--from", link}, "link"},
		{[]string{"--from", onlyAWS, "--format", "gitlaeks"}, `did you mean "gitleaks"`},
		{[]string{"--from", "/dev/zero"}, "--from"},
	} {
		reports := filepath.Join(dir, "reports")
		r := keyir(t, "", nil, append([]string{"respond", "--reports", reports}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", c.args, r.code, c.want, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, awsSecret) || strings.Contains(r.stdout+r.stderr, awsSecret[:16]) {
			t.Errorf("%v: a secret was quoted", c.args)
		}
		if dirsIn(reports) != nil {
			t.Errorf("%v: a run directory was created", c.args)
		}
	}
}

// sampleSecrets reads every secret of a sample report with encoding/json,
// independently of package scanners.
func sampleSecrets(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/scanners/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	dec := json.NewDecoder(strings.NewReader(string(b)))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			break
		}
		var walk func(any, string)
		walk = func(v any, key string) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					walk(e, k)
				}
			case []any:
				for _, e := range x {
					walk(e, key)
				}
			case string:
				if x != "" && slices.Contains([]string{"Secret", "Raw", "RawV2", "snippet"}, key) {
					out = append(out, x)
				}
			}
		}
		walk(v, "")
	}
	if len(out) < 2 {
		t.Fatalf("%s: found %d secrets", file, len(out))
	}
	return out
}

// everyOutput is what a command wrote: its stdout, its stderr and every
// file under reports (run.json, the journal, evidence, the reports).
func everyOutput(r result, reports string) [][]byte {
	outputs := [][]byte{[]byte(r.stdout), []byte(r.stderr)}
	_ = filepath.WalkDir(reports, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil {
				outputs = append(outputs, data)
			}
		}
		return nil
	})
	return outputs
}
