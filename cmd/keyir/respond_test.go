package main

import "encoding/json"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// TestRespondRecognisesASendGridKeyAndRunsItsPlaybook: the key alone picks
// sendgrid-key-compromise, which runs as `keyir run` would: revoked, proven
// dead, one run directory, the key never in any output.
func TestRespondRecognisesASendGridKeyAndRunsItsPlaybook(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, leaked.Token()+"\n", envv, "respond", "--key", "-", "--incident", "INC-9", "--reports", reports, "--window-start", "48h", "--output", "json")
	if r.code != 0 {
		t.Fatalf("respond: exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
	}
	if out.Report.Run.Playbook != "builtin:sendgrid-key-compromise" || out.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("playbook %q, containment %+v", out.Report.Run.Playbook, out.Report.Run.Containment)
	}
	if !strings.Contains(r.stderr, "this is a SendGrid API key") {
		t.Errorf("stderr does not name the kind:\n%s", r.stderr)
	}
	if srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatal("the leaked key is still live")
	}
	if onlyRunDir(t, reports) == "" {
		t.Fatal("no run directory")
	}
	for _, o := range []string{r.stdout, r.stderr} {
		if strings.Contains(o, leaked.Secret) {
			t.Fatal("the key reached the output")
		}
	}
}

// TestRespondFindsATestOnlyProvider: a provider keyir does not name (its
// input is "token", not "key") is recognised and its playbook run live.
func TestRespondFindsATestOnlyProvider(t *testing.T) {
	sim, url := startZz(t)
	tok := zzToken("abcdefghijklmnopqrstuvwx")
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, tok+"\n", map[string]string{"ZZ_API_URL": url}, "respond", "--key", "-", "--reports", reports)
	if r.code != 0 {
		t.Fatalf("respond: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := sim.revokedTokens(); !slices.Equal(got, []string{tok}) {
		t.Fatalf("revoked %d tokens, want the one", len(got))
	}
	if !strings.Contains(r.stderr, "this is a Zz token") || !strings.Contains(r.stdout, "confirmed") {
		t.Errorf("output:\n%s\n%s", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatal("the token reached the output")
	}
}

// TestRespondRefusesWhatItCannotRecognise: an unknown shape and a known
// shape with a wrong checksum end 2 before anything runs, say why, list the
// kinds keyir knows (for the unknown one) and never quote the key.
func TestRespondRefusesWhatItCannotRecognise(t *testing.T) {
	good := zzToken("abcdefghijklmnopqrstuvwx")
	bad := good[:len(good)-1] + map[bool]string{true: "1", false: "0"}[good[len(good)-1] == '0']
	cases := []struct {
		name, key string
		want      []string
	}{
		{"unknown", "ghx_thisIsNoKindKeyirKnows0123456789", []string{"no shape keyir knows", "SendGrid API key (SG.…)", "Zz token (zz_…)", "keyir run generic-key-revoke"}},
		{"checksum", bad, []string{"looks like a Zz token but its checksum does not match: mistyped, truncated or not a real token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reports := filepath.Join(t.TempDir(), "reports")
			r := keyir(t, c.key+"\n", nil, "respond", "--key", "-", "--reports", reports)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stdout+r.stderr, c.key) || strings.Contains(r.stdout+r.stderr, c.key[4:20]) {
				t.Errorf("the key was quoted:\n%s", r.stderr)
			}
			if dirsIn(reports) != nil {
				t.Error("a run directory was created")
			}
		})
	}
}

// TestRespondUsage: the key only through its doors, and the flags that do
// not go together.
func TestRespondUsage(t *testing.T) {
	tok := zzToken("abcdefghijklmnopqrstuvwx")
	for _, args := range [][]string{
		{"respond"},
		{"respond", "--key", tok},
		{"respond", tok},
		{"respond", "--key", "-", "--from", "x.json"},
		{"respond", "--key", "-", "--format", "gitleaks"},
		{"respond", "--key", "-", "--incident", tok},
	} {
		r := keyir(t, tok+"\n", nil, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, tok) {
			t.Errorf("%v: the token was quoted:\n%s", args, r.stderr)
		}
	}
	if r := keyir(t, "", nil, "respnd"); r.code != 2 || !strings.Contains(r.stderr, `did you mean "respond"`) {
		t.Errorf("typo: %d %s", r.code, r.stderr)
	}
}

// TestRespondCompletionOffersScannerFormats: respond's --format completes
// to the scanners' formats in every shell, other commands' --format to the
// report formats, and respond itself is offered.
func TestRespondCompletionOffersScannerFormats(t *testing.T) {
	for sh, want := range map[string][]string{
		"bash": {`"keyir respond --format") COMPREPLY=($(compgen -W "auto gitleaks trufflehog kingfisher"`, `*" --format") COMPREPLY=($(compgen -W "md json html"`, `"keyir respond") words="--reports`},
		"zsh":  {`"keyir respond --format") compadd -- auto gitleaks trufflehog kingfisher`, `*" --format") compadd -- md json html`},
		"fish": {`'__fish_seen_subcommand_from respond' -l format -d 'the --from report\'s format: gitleaks, trufflehog, kingfisher or auto' -r -a 'auto gitleaks trufflehog kingfisher'`, `-a respond -d`},
	} {
		r := keyir(t, "", nil, "completion", sh)
		if r.code != 0 {
			t.Fatalf("%s: exit %d", sh, r.code)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%s completion lacks %q", sh, w)
			}
		}
	}
}
