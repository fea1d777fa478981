package chatops_test

import "context"
import "math/rand/v2"
import "os"
import "path/filepath"
import "strconv"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/sim/githubsim"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// withFootholds serves the persistence scenario after its attack, with a
// responder key that may also remove what the plan names: a live revoke
// contains the key and leaves footholds (exit 5).
func withFootholds(w *world) {
	w.scenario = "persistence"
	w.fixture = func(fx *sendgridsim.Fixture) {
		fx.Attack(fx.State)
		fx.Config.Limits = nil
		k := sendgridsim.NewKey(rand.New(rand.NewPCG(3, 4)), "ir", append(sendgridsim.ResponderScopes(), sendgridsim.RemovalScopes()...))
		fx.State.AddKey(k)
		fx.ResponderKey = k.Token()
	}
}

// planned is the scenario's footholds that the run's plan names (the
// ground truth the removal is checked against); the plan must name most.
func planned(t *testing.T, fx *sendgridsim.Fixture, p *eradicate.Prepared) []sendgridsim.Item {
	t.Helper()
	var out []sendgridsim.Item
	for _, f := range fx.Footholds {
		for _, it := range p.Items {
			if it.Kind == f.Kind && it.Account == f.Account && it.Subject == f.Subject {
				out = append(out, f)
				break
			}
		}
	}
	if len(out) < 4 {
		t.Fatalf("the plan names %d of the scenario's %d footholds", len(out), len(fx.Footholds))
	}
	return out
}

// liveRun revokes the leaked key (alice asks, bob approves) and waits for
// the run and everything it posts.
func (w *world) liveRun() chatops.Request {
	w.t.Helper()
	id := w.fx.LeakedKeyID
	w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-12")
	r := w.request(id, chatops.StatePending)
	w.click(bob, chatops.ActionApprove, r)
	done := w.request(id, chatops.StateFinished)
	w.settle()
	if done.ExitCode == nil {
		w.t.Fatalf("run ended without an exit code: %+v", done)
	}
	return done
}

func (w *world) settle() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := w.srv.Wait(ctx); err != nil {
		w.t.Fatal(err)
	}
}

// thread is the messages posted in the thread of ts.
func (w *world) thread(ts string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range w.slack.Messages(channel) {
		if m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// removeButtons is the thread's messages that carry the Remove button.
func (w *world) removeButtons(ts string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range w.thread(ts) {
		if strings.Contains(string(m.Blocks), chatops.ActionEradicate) {
			out = append(out, m)
		}
	}
	return out
}

// eradication waits for an eradication request other than not in state
// (pending: with its approval message posted).
func (w *world) eradication(not string, state chatops.State) chatops.Request {
	w.t.Helper()
	var got chatops.Request
	waitFor(w.t, 60*time.Second, "an eradication request "+string(state), func() bool {
		for _, r := range w.srv.Requests() {
			if r.Kind == chatops.KindEradicate && r.ID != not && r.State == state && (state != chatops.StatePending || r.MessageTS != "") {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// A live run that leaves footholds ends its thread with the plan and the
// button; a clean run's thread has no button.
func TestServeRunWithFootholdsEndsWithRemoveButton(t *testing.T) {
	w := newWorld(t, withFootholds)
	done := w.liveRun()
	if *done.ExitCode != 5 {
		t.Fatalf("persistence run: exit %d, want 5", *done.ExitCode)
	}
	p, err := eradicate.Prepare(done.RunDir, nil)
	if err != nil || len(p.Items) == 0 {
		t.Fatalf("the run's plan: %v %+v", err, p)
	}
	btns := w.removeButtons(done.MessageTS)
	if len(btns) != 1 {
		t.Fatalf("%d messages with the Remove button, want 1:\n%s", len(btns), w.slack.Transcript(channel))
	}
	msg := string(btns[0].Blocks) + btns[0].Text
	want := []string{"Remove " + strconv.Itoa(len(p.Items)) + " footholds", done.ID, done.RunID}
	for _, f := range planned(t, w.fx, p) {
		want = append(want, f.Kind, f.Subject)
	}
	for _, s := range want {
		if !strings.Contains(msg, s) {
			t.Errorf("the footholds message lacks %q:\n%s", s, msg)
		}
	}

	clean := newWorld(t)
	d := clean.liveRun()
	if *d.ExitCode == 5 {
		t.Fatalf("spam-burst run: exit 5")
	}
	if n := len(clean.removeButtons(d.MessageTS)); n != 0 {
		t.Errorf("a clean run offered a removal (%d buttons):\n%s", n, clean.slack.Transcript(channel))
	}
}

// The button takes the revoke's two-person approval: the requester cannot
// approve, a second click while pending starts nothing, a cancelled
// request removes nothing, and a second person's approval removes every
// foothold (and only those), posting the outcome and the new run's head.
func TestServeRemoveFootholdsTakesTwoPersonApproval(t *testing.T) {
	w := newWorld(t, withFootholds)
	done := w.liveRun()
	if *done.ExitCode != 5 {
		t.Fatalf("persistence run: exit %d, want 5", *done.ExitCode)
	}
	runsDir := filepath.Dir(done.RunDir)
	pp, err := eradicate.Prepare(done.RunDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	footholds := planned(t, w.fx, pp)
	present := func(want bool) {
		t.Helper()
		for _, f := range footholds {
			if w.fx.State.Present(f) != want {
				t.Errorf("foothold %v present: %v, want %v", f, !want, want)
			}
		}
	}
	present(true)

	w.click(alice, chatops.ActionEradicate, done)
	er := w.eradication("", chatops.StatePending)
	if er.Requester != alice || er.ParentRequest != done.ID || er.Parent != done.RunDir || er.ThreadTS != done.MessageTS {
		t.Fatalf("eradication request: %+v", er)
	}
	appr := findMessage(t, w.slack.Messages(channel), er.MessageTS)
	if appr.ThreadTS != done.MessageTS || !strings.Contains(string(appr.Blocks), chatops.ActionApprove) || !strings.Contains(string(appr.Blocks), er.ID) {
		t.Fatalf("approval message not in the run's thread, or without buttons: %+v", appr)
	}

	// The requester's own approval is refused; so is a second request.
	w.click(alice, chatops.ActionApprove, er)
	waitFor(t, 5*time.Second, "self-approval refusal", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "self-approval") == 1 })
	w.click(bob, chatops.ActionEradicate, done)
	waitFor(t, 5*time.Second, "second request refused", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "already requested") == 1 })
	w.settle()
	for _, r := range w.srv.Requests() {
		if r.Kind == chatops.KindEradicate && (r.ID != er.ID || r.State != chatops.StatePending) {
			t.Fatalf("after refused clicks: %s %s", r.ID, r.State)
		}
	}
	present(true)

	// Denied: nothing is removed and no run is made.
	w.click(carol, chatops.ActionCancel, er)
	w.eradication("", chatops.StateCancelled)
	w.settle()
	present(true)
	if ents, _ := os.ReadDir(runsDir); len(ents) != 1 {
		t.Fatalf("a cancelled eradication left %d run directories", len(ents))
	}

	// Asked again, approved by someone else: removed.
	w.click(bob, chatops.ActionEradicate, done)
	er2 := w.eradication(er.ID, chatops.StatePending)
	w.click(alice, chatops.ActionApprove, er2)
	fin := w.eradication(er.ID, chatops.StateFinished)
	w.settle()
	if fin.ExitCode == nil || *fin.ExitCode != 0 || fin.DecidedBy != alice || fin.RunDir == "" || filepath.Dir(fin.RunDir) != runsDir {
		t.Fatalf("eradication: %+v", fin)
	}
	present(false)
	for _, l := range w.fx.Legitimate {
		if !w.fx.State.Present(l) {
			t.Errorf("legitimate item removed: %v", l)
		}
	}
	np, err := eradicate.Prepare(fin.RunDir, nil)
	if err != nil {
		t.Fatalf("the eradication run does not verify: %v", err)
	}
	var text string
	for _, m := range w.thread(done.MessageTS) {
		text += m.Text + "\n"
	}
	for _, s := range []string{"Eradication run " + fin.RunID + " finished", strconv.Itoa(len(pp.Items)) + " removed", "MANIFEST head `" + np.Head[:16]} {
		if !strings.Contains(text, s) {
			t.Errorf("the thread lacks %q:\n%s", s, w.slack.Transcript(channel))
		}
	}
	if n := len(w.removeButtons(done.MessageTS)); n != 1 {
		t.Errorf("%d Remove buttons after a complete eradication, want the first only", n)
	}
	if n := w.countAudit(chatops.AuditEradicationRequested, ""); n != 2 {
		t.Errorf("eradication requests audited: %d, want 2", n)
	}
	w.assertNoLeak(w.fx.LeakedKey, w.fx.ResponderKey, w.slack.BotToken(), secret)
}

// A dry run's thread shows its plan without a button, and a click that
// names a dry run anyway (a forged payload) creates nothing.
func TestServeDryRunOffersNoRemoval(t *testing.T) {
	w := newWorld(t, withFootholds)
	id := w.fx.LeakedKeyID
	w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-13 --dry-run")
	r := w.request(id, chatops.StatePending)
	w.click(alice, chatops.ActionApprove, r)
	done := w.request(id, chatops.StateFinished)
	w.settle()
	if n := len(w.removeButtons(done.MessageTS)); n != 0 {
		t.Fatalf("a dry run offered a removal (%d buttons)", n)
	}
	var text string
	for _, m := range w.thread(done.MessageTS) {
		text += string(m.Blocks)
	}
	if !strings.Contains(text, "A dry run removes nothing") {
		t.Errorf("the dry run's thread does not say why there is no button:\n%s", w.slack.Transcript(channel))
	}
	w.click(bob, chatops.ActionEradicate, done)
	waitFor(t, 5*time.Second, "the refusal", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "dry run") == 1 })
	w.settle()
	for _, r := range w.srv.Requests() {
		if r.Kind == chatops.KindEradicate {
			t.Fatalf("a dry run's click created %s", r.ID)
		}
	}
}

// A GitHub token revoked from Slack with the server's GITHUB_ORG set: the
// run assesses the organization, leaves footholds (exit 5) and ends its
// thread with "Remove 3 footholds" (devon's SSH key is counted apart: keyir
// cannot remove it); the removal takes the same two-person approval, runs
// github-eradicate, and removes the deploy key, webhook and invitation,
// never the SSH key or anything the organization had.
func TestServeRemovesGitHubFootholdsWithTwoPersonApproval(t *testing.T) {
	w, gh, fx := ghWorld(t)
	// An owner's token that may also cancel invitations (admin:org).
	owner := fx.State.AddToken(githubsim.Token{Value: fx.ResponderToken[:len(fx.ResponderToken)-6] + "Zz0000", Kind: "github_classic_pat", Login: fx.ResponderLogin,
		Scopes: append(githubsim.ResponderScopes(), "admin:org")})
	w.env["GITHUB_TOKEN"], w.env["GITHUB_ORG"] = owner.Value, fx.Org
	fx.Attack(fx.State)
	footholds := []githubsim.Item{{Kind: "deploy_key", Subject: "880002"}, {Kind: "webhook", Subject: "relay.hooks-collect.example"}, {Kind: "invitation", Subject: "ops-helper-7"}}
	sshKey := githubsim.Item{Kind: "ssh_key", Subject: "880001"}

	fp := redact.Fingerprint(fx.LeakedToken)
	w.command(alice, channel, "revoke "+fx.LeakedToken+" INC-15")
	w.click(bob, chatops.ActionApprove, w.tokenRequest(fp, chatops.StatePending))
	done := w.tokenRequest(fp, chatops.StateFinished)
	w.settle()
	if done.ExitCode == nil || *done.ExitCode != 5 {
		t.Fatalf("GitHub run: %+v\n%s", done, w.slack.Transcript(channel))
	}
	btns := w.removeButtons(done.MessageTS)
	if len(btns) != 1 {
		t.Fatalf("%d messages with the Remove button, want 1:\n%s", len(btns), w.slack.Transcript(channel))
	}
	msg := string(btns[0].Blocks) + btns[0].Text
	for _, s := range []string{"Remove 3 footholds", "left 4 foothold(s) open", "1 more keyir cannot remove", "github_deploy_key_added", "acme-corp/api/880002", "github_member_invited"} {
		if !strings.Contains(msg, s) {
			t.Errorf("the footholds message lacks %q:\n%s", s, msg)
		}
	}
	w.click(alice, chatops.ActionEradicate, done)
	er := w.eradication("", chatops.StatePending)
	if appr := findMessage(t, w.slack.Messages(channel), er.MessageTS); !strings.Contains(string(appr.Blocks), "github-eradicate") {
		t.Errorf("the approval message does not name github-eradicate:\n%s", appr.Blocks)
	}
	w.click(alice, chatops.ActionApprove, er)
	waitFor(t, 5*time.Second, "self-approval refusal", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "self-approval") == 1 })
	for _, f := range footholds {
		if !fx.State.Present(f) {
			t.Fatalf("removed before a second person approved: %v", f)
		}
	}
	w.click(bob, chatops.ActionApprove, er)
	fin := w.eradication("", chatops.StateFinished)
	w.settle()
	if fin.ExitCode == nil || *fin.ExitCode != 0 || fin.DecidedBy != bob {
		t.Fatalf("eradication: %+v\n%s", fin, w.slack.Transcript(channel))
	}
	for _, f := range footholds {
		if fx.State.Present(f) {
			t.Errorf("still present: %v", f)
		}
	}
	if !fx.State.Present(sshKey) {
		t.Error("the SSH key keyir cannot remove was removed")
	}
	for _, l := range fx.Legitimate {
		if l.Kind != "token" && !fx.State.Present(l) {
			t.Errorf("legitimate item removed: %v", l)
		}
	}
	if !strings.Contains(w.threadText(done.MessageTS), "3 removed") {
		t.Errorf("the thread does not report 3 removed:\n%s", w.slack.Transcript(channel))
	}
	_ = gh
}
