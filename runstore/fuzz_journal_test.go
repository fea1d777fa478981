package runstore

import "bytes"
import "os"
import "path/filepath"
import "testing"

import "github.com/keyir/keyir/report"

// FuzzReadJournal feeds arbitrary bytes to the journal reader: it must never
// panic, and what it accepts must be a dense, chained prefix of the input.
func FuzzReadJournal(f *testing.F) {
	s, err := Create(f.TempDir(), testRun(report.ModeLive))
	if err != nil {
		f.Fatal(err)
	}
	run := s.Run()
	for _, e := range []report.Event{{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()}, {Type: report.EventNote, Note: &report.Note{Text: "n"}}} {
		if err := s.Append(e); err != nil {
			f.Fatal(err)
		}
	}
	s.Close()
	good, err := os.ReadFile(filepath.Join(s.Dir(), JournalFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-7])
	f.Add([]byte(`{"seq":1,"prev":""}` + "\n" + `{"seq":2,"prev":"x"}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Add([]byte{})
	// One directory per fuzzing process: its executions run one at a time.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, JournalFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		events, torn, err := ReadJournal(dir)
		if err != nil {
			return
		}
		j, _ := parseJournal(bytes.NewReader(data), JournalFile)
		if j.size > int64(len(data)) || (!torn && j.size != int64(len(data))) {
			t.Fatalf("accepted %d of %d bytes, torn=%v", j.size, len(data), torn)
		}
		prev, rest := "", data[:j.size]
		for i, e := range events {
			line, after, _ := bytes.Cut(rest, []byte("\n"))
			if e.Seq != i+1 || e.Prev != prev {
				t.Fatalf("event %d: seq %d prev %q, want %d %q", i, e.Seq, e.Prev, i+1, prev)
			}
			prev, rest = lineHash(line), after
		}
		// The accepted prefix re-reads to the same events, untorn.
		j2, err := parseJournal(bytes.NewReader(data[:j.size]), JournalFile)
		if err != nil || j2.torn || len(j2.events) != len(events) || j2.last != j.last {
			t.Fatalf("prefix re-read: %d events (want %d), torn=%v, err=%v", len(j2.events), len(events), j2.torn, err)
		}
	})
}
