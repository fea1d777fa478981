package runstore

import "errors"
import "fmt"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

func TestJournalChain(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
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
	s := newStore(t, testRun(report.ModeLive))
	run := s.Run()
	mustAppend(t, s,
		report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
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
		report.Event{Type: report.EventRunResumed, Run: &run},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		report.Event{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepOK},
	)
	events, torn, err = ReadJournal(s.Dir())
	if err != nil || torn {
		t.Fatalf("after resume: torn=%v err=%v", torn, err)
	}
	// The cut is on the record: length and SHA-256 of the dropped bytes.
	dropped := `{"seq":3,"time":"2025-03-04T05:06:08Z","type":"step_fin`
	if len(events) != 6 || events[2].Type != report.EventJournalRepaired || events[2].Seq != 3 ||
		events[2].Data["dropped_bytes"] != float64(len(dropped)) || events[2].Data["dropped_sha256"] != lineHash([]byte(dropped)) ||
		events[3].Type != report.EventRunResumed || events[3].Seq != 4 {
		t.Fatalf("resumed journal: %+v", events)
	}
	rep := report.Replay(s2.Run(), events)
	if rep.Steps[0].Status != report.StepOK || rep.Run.Resumes != 1 || rep.Steps[0].Duration != time.Second {
		t.Errorf("replay after resume: %+v", rep.Steps[0])
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Text, fmt.Sprintf("torn; the resume cut it off (%d bytes", len(dropped))) {
		t.Errorf("the report does not tell of the repair: %+v", rep.Notes)
	}
}

func TestJournalBadLastLineWithNewlineIsTorn(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventNote, Note: &report.Note{Text: "one"}})
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
			s := newStore(t, testRun(report.ModeLive))
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
	if err := s.Append(report.Event{Type: report.EventNote, Note: &report.Note{Text: "late"}}); err == nil {
		t.Fatal("append after Finish succeeded; it would invalidate MANIFEST")
	}
}
