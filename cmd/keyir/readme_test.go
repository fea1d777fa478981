package main

import "bufio"
import "context"
import "crypto/hmac"
import "crypto/sha256"
import "encoding/hex"
import "encoding/json"
import "io"
import "net/http"
import "net/url"
import "os"
import "path/filepath"
import "regexp"
import "slices"
import "strconv"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// readmeBlock is one fenced block of README.md.
type readmeBlock struct {
	lang, text string
	line       int
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```") && cur == nil:
			cur = &readmeBlock{lang: strings.TrimPrefix(line, "```"), line: n}
		case strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return blocks
}

var (
	envPrefixRE = regexp.MustCompile(`^([A-Z_]+=\S+\s+)+`)
	cronRE      = regexp.MustCompile(`^(\S+\s+){5}`)
)

// readmeCommands are the keyir command lines of the README's sh and cron
// blocks, and the `run:` lines of its workflow YAML, as a shell would run
// them: comments, environment prefixes, pipes into keyir and redirections
// taken off. Untagged blocks are sample output, not commands.
func readmeCommands(t *testing.T) (cmds []string, exports []string) {
	for _, b := range readmeBlocks(t) {
		for _, line := range strings.Split(b.text, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "#") {
				continue // a comment
			}
			switch b.lang {
			case "sh":
				if line != "" && strings.ContainsAny(line[:1], "0123456789*") {
					line = cronRE.ReplaceAllString(line, "") // a crontab line
				}
			case "cron":
				line = cronRE.ReplaceAllString(line, "")
			case "yaml":
				if !strings.HasPrefix(line, "- run: keyir ") {
					continue
				}
				line = strings.TrimPrefix(line, "- run: ")
			default:
				continue
			}
			if i := strings.Index(line, "  #"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if strings.HasPrefix(line, "export ") {
				exports = append(exports, strings.TrimPrefix(line, "export "))
				continue
			}
			line = envPrefixRE.ReplaceAllString(line, "")
			if i := strings.Index(line, "| keyir "); i >= 0 {
				line = line[i+2:]
			}
			line = strings.Replace(line, "go run ./cmd/keyir", "keyir", 1)
			if i := strings.IndexAny(line, "><"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if strings.HasPrefix(line, "keyir ") {
				cmds = append(cmds, line)
			} else if line != "" && !strings.HasPrefix(line, "go test") {
				t.Errorf("README shell line %q is neither a keyir command nor known to this test", line)
			}
		}
	}
	return cmds, exports
}

// Every keyir command line in the README runs, as printed, against the
// simulators, with the exit code it is meant to have; a new example fails
// this test until it is given its world here.
func TestREADMEShellExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a drill and several runs")
	}
	cmds, exports := readmeCommands(t)
	samples, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if len(cmds) < 6 {
		t.Fatalf("found only %d keyir commands in the README: %q", len(cmds), cmds)
	}
	if len(exports) != 1 || !strings.HasPrefix(exports[0], "SENDGRID_API_KEY_FILE=") {
		t.Fatalf("README exports %q: this test knows only SENDGRID_API_KEY_FILE", exports)
	}
	for _, cmd := range cmds {
		args := strings.Fields(strings.ReplaceAll(cmd, "/var/lib/keyir/", "var-lib-keyir/"))[1:]
		t.Run(cmd, func(t *testing.T) {
			switch {
			case slices.Contains(args, "github-token-compromise") || slices.Contains(args, "--github-org") || slices.Contains(args, "org=acme-corp"):
				readmeGitHub(t, args)
			case args[0] == "drill":
				if r := keyir(t, "", map[string]string{}, args...); r.code != 0 {
					t.Fatalf("exit %d\n%s", r.code, r.stderr)
				}
			case args[0] == "respond" && slices.Contains(args, "--from"):
				// The sample report's keys are in no account: a dry run
				// plans each, changes nothing, and lists the others.
				envv, srv, _ := simAccount(t, sendgridsim.ResponderScopes())
				for i, a := range args {
					args[i] = strings.Replace(a, "testdata/", samples+"/", 1)
				}
				r := keyir(t, "", envv, args...)
				if r.code != 0 || !strings.Contains(r.stderr, "not handled: ") || !strings.Contains(r.stdout, "→ planned") {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				for _, req := range srv.Requests() {
					if req.Method != "GET" {
						t.Fatalf("the dry run sent %s %s", req.Method, req.Path)
					}
				}
			case args[0] == "doctor", args[0] == "run", args[0] == "respond":
				envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
				// The export line: the responder key from a file.
				keyFile := writeFile(t, t.TempDir(), "responder-key", envv["SENDGRID_API_KEY"]+"\n")
				delete(envv, "SENDGRID_API_KEY")
				envv["SENDGRID_API_KEY_FILE"] = keyFile
				if args[0] == "doctor" {
					if r := keyir(t, "", envv, args...); r.code != 0 {
						t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
					}
					return
				}
				// The dry run first (nothing is revoked), then the live run.
				if r := keyir(t, leaked.Token()+"\n", envv, append(args, "--dry-run")...); r.code != 0 || !srv.State().KeyLive(leaked.ID, time.Now()) {
					t.Fatalf("dry run: exit %d\n%s", r.code, r.stderr)
				}
				if r := keyir(t, leaked.Token()+"\n", envv, args...); r.code != 0 || srv.State().KeyLive(leaked.ID, time.Now()) {
					t.Fatalf("live run: exit %d\n%s", r.code, r.stderr)
				}
			case args[0] == "audit":
				_, envv := auditSim(t, "well-kept")
				for i, a := range args {
					if a == "--baseline" {
						if r := keyir(t, "", envv, "inventory", "save", args[i+1]); r.code != 0 {
							t.Fatalf("inventory save %s: %d %s", args[i+1], r.code, r.stderr)
						}
					}
				}
				r := keyir(t, "", envv, args...)
				if r.code != 0 {
					t.Fatalf("exit %d on the well-kept account\n%s", r.code, r.stderr)
				}
				if strings.Contains(cmd, "--output json") && !json.Valid([]byte(r.stdout)) {
					t.Fatalf("not JSON:\n%s", r.stdout)
				}
			case args[0] == "inventory":
				// The shell expands $HOME and $(date): the file is the test's.
				envv, _, _ := simAccount(t, sendgridsim.ResponderScopes())
				if r := keyir(t, "", envv, "inventory", "save", filepath.Join(t.TempDir(), "baseline.json")); r.code != 0 {
					t.Fatalf("exit %d\n%s", r.code, r.stderr)
				}
			case args[0] == "rotate":
				// Not run here: it needs the finished run directory it names,
				// and creates a key; rotate's own tests run it end to end.
				// The command and its flags are checked to exist.
				if r := keyir(t, "", nil, "rotate", "--help"); r.code != 0 || !strings.Contains(r.stdout, args[2]) {
					t.Fatalf("keyir rotate --help: exit %d, lacks %s\n%s", r.code, args[2], r.stdout)
				}
			case args[0] == "eradicate":
				// A live run that leaves footholds (exit 5); the example's
				// run directory is that run's. Without a terminal, the
				// example without --yes or --dry-run refuses (2) and removes
				// nothing; the others run.
				_, envv, root, _ := footholdRun(t)
				dir := onlyRunDir(t, root)
				for i, a := range args {
					if a == "DIR" || strings.HasPrefix(a, "reports/") {
						args[i] = dir
					}
				}
				want := 0
				if !slices.Contains(args, "--yes") && !slices.Contains(args, "--dry-run") {
					want = 2
				}
				if r := keyir(t, "", envv, args...); r.code != want {
					t.Fatalf("exit %d, want %d\n%s%s", r.code, want, r.stdout, r.stderr)
				}
			default:
				t.Fatalf("README example %q has no world in this test: add one", cmd)
			}
		})
	}
}

// The README's playbook example validates and runs under --dry-run: the
// revoke is recorded as a planned change, and the note that reads its
// status still renders.
func TestREADMEPlaybookExampleDryRuns(t *testing.T) {
	var pb string
	for _, b := range readmeBlocks(t) {
		if b.lang == "yaml" && strings.HasPrefix(b.text, "name: revoke-example-token") {
			pb = b.text
		}
	}
	if pb == "" {
		t.Fatal("the README's example playbook (revoke-example-token) is gone")
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "revoke-example-token.yaml", pb)
	if r := keyir(t, "", nil, "validate", p); r.code != 0 {
		t.Fatalf("validate: %d %s", r.code, r.stderr)
	}
	r := keyir(t, "", map[string]string{"EXAMPLE_ADMIN_TOKEN": "example-admin-token-value"}, "run", p, "--dry-run",
		"--input", "token_id=abcdef0123456789", "--reports", filepath.Join(dir, "reports"))
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The README's serve.yaml starts against `keyir sim slack` as printed
// (only its two directories moved into the test's), and its allowed user
// is answered in its allowed channel while anyone else is told they are
// not allowed.
func TestREADMEServeYAMLRunsAgainstTheSlackSimulator(t *testing.T) {
	var cfgText string
	for _, b := range readmeBlocks(t) {
		if b.lang == "yaml" && strings.HasPrefix(b.text, "# serve.yaml") {
			cfgText = b.text
		}
	}
	if cfgText == "" {
		t.Fatal("the README's serve.yaml is gone")
	}
	dir := t.TempDir()
	cfg := writeFile(t, dir, "serve.yaml", strings.ReplaceAll(cfgText, "/var/lib/keyir/", dir+"/"))
	sim := slacksim.New(slacksim.Options{}) // as keyir sim slack serves it
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const signing = "readme-signing-secret"
	envv := map[string]string{"SLACK_BOT_TOKEN": sim.BotToken(), "SLACK_SIGNING_SECRET": signing}
	var errb syncBuf
	a := newApp(env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, getenv: func(k string) string { return envv[k] }, readFile: os.ReadFile})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- a.serve(ctx, serveOptions{config: cfg, listen: "127.0.0.1:0", slackAPIURL: api, ready: func(addr string) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve did not start: %v\n%s", err, errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	ask := func(user, text string) string {
		body := url.Values{"team_id": {slacksim.DefaultTeamID}, "api_app_id": {slacksim.DefaultAppID}, "user_id": {user},
			"channel_id": {"C0INCIDENT"}, "command": {"/keyir"}, "text": {text}}.Encode()
		code, b := signedPost(t, addr, signing, body)
		if code != 200 {
			t.Fatalf("%s %q: HTTP %d %s", user, text, code, b)
		}
		return b
	}
	if got := ask("U0ALICE", "status"); strings.Contains(got, "not allowed") {
		t.Errorf("the README's allowed user is refused: %s", got)
	}
	if got := ask("U0MALLORY", "status"); !strings.Contains(got, "You are not allowed") || strings.Contains(strings.ToLower(got), "try again") {
		t.Errorf("a user outside the allow-list: %s", got)
	}
	cancel()
	<-done
}

func signedPost(t *testing.T, addr, signing, body string) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(signing))
	m.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest("POST", "http://"+addr+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
