package render

import "testing"

import "github.com/keyir/keyir/internal/testrun"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// finishedDir builds a complete, finished live run directory.
func finishedDir(t *testing.T) (*runstore.Store, string) {
	t.Helper()
	s := testrun.NewStore(t, testrun.Run(report.ModeLive))
	testrun.ScriptLive(t, s)
	if _, err := s.Finish(nil, mdRenderer{}); err != nil {
		t.Fatal(err)
	}
	return s, s.Dir()
}
