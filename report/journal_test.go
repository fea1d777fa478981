package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJournalChain(t *testing.T) {
	s := newStore(t, testRun(ModeLive))
	scriptLive(t, s)
	events, torn, err := ReadJournal(s.Dir())
	if err != nil || torn {
		t.Fatalf("ReadJournal: torn=%v err=%v", torn, err)
	}
	if len(events) != 19 {
		t.Fatalf("got %d events, want 19", len(events))
	}
	lines := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(s.Dir(), JournalFile)), "\n"), "\n")
	for i, e := range events {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
		if e.Time.Location() != time.UTC {
			t.Errorf("event %d time %v is not UTC", i, e.Time)
		}
		want := ""
		if i > 0 {
			want = lineHash([]byte(lines[i-1]))
		}
		if e.Prev != want {
			t.Errorf("event %d prev = %q, want hash of line %d", i+1, e.Prev, i)
		}
	}
	if !events[1].Time.After(events[0].Time) {
		t.Errorf("injected clock not used: %v, %v", events[0].Time, events[1].Time)
	}
}

func TestJournalTornTailAndResume(t *testing.T) {
	s := newStore(t, testRun(ModeLive))
	run := s.Run()
	mustAppend(t, s,
		Event{Type: EventRunStarted, Run: &run, Steps: plannedSteps()},
		Event{Type: EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
	)
	s.Close()
	path := filepath.Join(s.Dir(), JournalFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The process died halfway through writing event 3.
	f.WriteString(`{"seq":3,"time":"2025-03-04T05:06:08Z","type":"step_fin`)
	f.Close()

	events, torn, err := ReadJournal(s.Dir())
	if err != nil || !torn || len(events) != 2 {
		t.Fatalf("torn tail: events=%d torn=%v err=%v", len(events), torn, err)
	}

	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.Now = tickClock(t0.Add(time.Minute), time.Second)
	mustAppend(t, s2,
		Event{Type: EventRunResumed, Run: &run},
		Event{Type: EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		Event{Type: EventStepFinished, Step: "identify", Index: 1, Status: StepOK},
	)
	events, torn, err = ReadJournal(s.Dir())
	if err != nil || torn {
		t.Fatalf("after resume: torn=%v err=%v", torn, err)
	}
	// The cut is on the record: length and SHA-256 of the dropped bytes.
	dropped := `{"seq":3,"time":"2025-03-04T05:06:08Z","type":"step_fin`
	if len(events) != 6 || events[2].Type != EventJournalRepaired || events[2].Seq != 3 ||
		events[2].Data["dropped_bytes"] != float64(len(dropped)) || events[2].Data["dropped_sha256"] != lineHash([]byte(dropped)) ||
		events[3].Type != EventRunResumed || events[3].Seq != 4 {
		t.Fatalf("resumed journal: %+v", events)
	}
	rep := Replay(s2.Run(), events)
	if rep.Steps[0].Status != StepOK || rep.Run.Resumes != 1 || rep.Steps[0].Duration != time.Second {
		t.Errorf("replay after resume: %+v", rep.Steps[0])
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Text, fmt.Sprintf("torn; the resume cut it off (%d bytes", len(dropped))) {
		t.Errorf("the report does not tell of the repair: %+v", rep.Notes)
	}
}

func TestJournalBadLastLineWithNewlineIsTorn(t *testing.T) {
	s := newStore(t, testRun(ModeLive))
	mustAppend(t, s, Event{Type: EventNote, Note: &Note{Text: "one"}})
	os.WriteFile(filepath.Join(s.Dir(), JournalFile), append([]byte(readFile(t, filepath.Join(s.Dir(), JournalFile))), "{garbage\n"...), 0o600)
	events, torn, err := ReadJournal(s.Dir())
	if err != nil || !torn || len(events) != 1 {
		t.Fatalf("events=%d torn=%v err=%v", len(events), torn, err)
	}
}

func TestJournalCorruptionInTheMiddle(t *testing.T) {
	for name, edit := range map[string]func(lines []string) []string{
		"bad json": func(l []string) []string { l[2] = "{not json"; return l },
		"edited line": func(l []string) []string {
			l[2] = strings.Replace(l[2], `"seq":3,`, `"seq":3,"edited":true,`, 1)
			return l
		},
		"removed line":   func(l []string) []string { return append(l[:2], l[3:]...) },
		"reordered line": func(l []string) []string { l[2], l[3] = l[3], l[2]; return l },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, testRun(ModeLive))
			scriptLive(t, s)
			path := filepath.Join(s.Dir(), JournalFile)
			lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
			lines = edit(lines)
			os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
			_, _, err := ReadJournal(s.Dir())
			var je *JournalError
			if !errors.As(err, &je) {
				t.Fatalf("want a *JournalError, got %v", err)
			}
			// The damage is at line 3 or, for an edit, detected on line 4
			// whose prev no longer matches.
			if je.Line != 3 && je.Line != 4 {
				t.Errorf("error names line %d: %v", je.Line, err)
			}
			if !strings.Contains(err.Error(), "journal.jsonl:") {
				t.Errorf("error does not name the file: %v", err)
			}
			if _, err := Open(s.Dir()); err == nil {
				t.Errorf("Open accepted a corrupt journal")
			}
		})
	}
}

func TestAppendAfterFinishIsRefused(t *testing.T) {
	s, _ := finishedDir(t)
	if err := s.Append(Event{Type: EventNote, Note: &Note{Text: "late"}}); err == nil {
		t.Fatal("append after Finish succeeded; it would invalidate MANIFEST")
	}
}

func TestReplay(t *testing.T) {
	run := testRun(ModeLive)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	events := []Event{
		{Type: EventRunStarted, Time: at(0), Steps: plannedSteps()},
		{Type: EventStepStarted, Time: at(1), Step: "identify", Index: 1, Attempt: 1},
		{Type: EventStepFinished, Time: at(2), Step: "identify", Index: 1, Status: StepOK, Outputs: map[string]any{"key_id": "abc"}, Evidence: "evidence/001-identify.jsonl"},
		{Type: EventStepStarted, Time: at(3), Step: "revoke", Index: 2, Attempt: 1},
		{Type: EventStepAttemptFailed, Time: at(4), Step: "revoke", Index: 2, Attempt: 1, Error: "503"},
		{Type: EventStepStarted, Time: at(5), Step: "revoke", Index: 2, Attempt: 2},
		{Type: EventStepFinished, Time: at(7), Step: "revoke", Index: 2, Attempt: 2, Status: StepOK},
		{Type: EventContainment, Time: at(9), Step: "verify", Containment: &Containment{Status: ContainmentConfirmed}},
		{Type: EventFinding, Time: at(9), Step: "verify", Finding: &Finding{Severity: High, Title: "t"}},
		{Type: EventPlannedChange, Time: at(9), Step: "verify", Planned: &PlannedChange{Method: "DELETE", URL: "u"}},
		{Type: EventNote, Time: at(9), Step: "verify", Note: &Note{Text: "n"}},
		{Type: EventStepStarted, Time: at(10), Step: "activity", Index: 4, Attempt: 1},
		{Type: EventRunInterrupted, Time: at(11)},
	}
	rep := Replay(run, events)
	want := []StepStatus{StepOK, StepOK, StepPending, StepInterrupted, StepPending}
	for i, st := range rep.Steps {
		if st.Status != want[i] {
			t.Errorf("step %s: status %s, want %s", st.ID, st.Status, want[i])
		}
	}
	if s := rep.Steps[1]; s.Attempts != 2 || s.Duration != 4*time.Second || s.Error != "" {
		t.Errorf("retried step: attempts %d duration %v error %q; want 2, 4s (from first start), none", s.Attempts, s.Duration, s.Error)
	}
	if rep.Steps[0].Outputs["key_id"] != "abc" || rep.Steps[0].Evidence != "evidence/001-identify.jsonl" {
		t.Errorf("outputs/evidence lost: %+v", rep.Steps[0])
	}
	c := rep.Run.Containment
	if c.Status != ContainmentConfirmed || c.TimeToContainment != 9*time.Second || !c.At.Equal(at(9)) {
		t.Errorf("containment %+v, want confirmed after 9s", c)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Step != "verify" {
		t.Errorf("findings %+v", rep.Findings)
	}
	if len(rep.Planned) != 1 || rep.Planned[0].Step != "verify" || len(rep.Notes) != 1 || !rep.Notes[0].Time.Equal(at(9)) {
		t.Errorf("planned %+v notes %+v", rep.Planned, rep.Notes)
	}
	if rep.Run.Status != RunInterrupted {
		t.Errorf("run status %s, want interrupted", rep.Run.Status)
	}
	if events[0].Steps[0].Status != "" {
		t.Errorf("Replay modified its input events")
	}
}

func TestReplayDerivesRunStatus(t *testing.T) {
	steps := plannedSteps()
	base := []Event{
		{Type: EventRunStarted, Steps: steps},
	}
	for _, c := range []struct {
		idx  int
		want RunStatus
	}{{1, RunFailed}, {5, RunDegraded}} {
		ev := append(append([]Event{}, base...),
			Event{Type: EventStepFinished, Step: steps[c.idx-1].ID, Index: c.idx, Error: "boom"},
			Event{Type: EventRunFinished, Time: t0.Add(time.Minute)})
		rep := Replay(testRun(ModeLive), ev)
		if rep.Run.Status != c.want {
			t.Errorf("failed step %d: run status %s, want %s", c.idx, rep.Run.Status, c.want)
		}
	}
}

func TestReplayFinalContainmentAndInterruptedExit(t *testing.T) {
	events := []Event{
		{Type: EventRunStarted, Time: t0, Steps: plannedSteps()[:1]},
		{Type: EventStepStarted, Time: t0.Add(time.Second), Step: "identify", Index: 1},
		{Type: EventRunInterrupted, Time: t0.Add(2 * time.Second), ExitCode: intp(ExitNotContained),
			Containment: &Containment{Status: ContainmentNotConfirmed, Detail: "interrupted before revoke"}},
	}
	rep := Replay(testRun(ModeLive), events)
	if rep.Run.Containment.Status != ContainmentNotConfirmed || rep.ExitCode != ExitNotContained || rep.Run.Status != RunInterrupted {
		t.Fatalf("replay: %+v", rep.Run)
	}
	var b strings.Builder
	if err := RenderMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "> **INCOMPLETE**") || !strings.Contains(out, "**Exit code:** 4 — containment not confirmed") || !strings.Contains(out, "| interrupted |") {
		t.Errorf("interrupted report:\n%s", out)
	}
}
