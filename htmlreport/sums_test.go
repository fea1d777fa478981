package htmlreport

import "os"
import "path/filepath"
import "regexp"
import "strings"
import "testing"

import "github.com/keyir/keyir/internal/testrun"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// report.html sealed by Finish lists the sums MANIFEST lists: for an
// evidence file this process wrote, the sum of the bytes written, not a
// second reading of the disk. An evidence file altered at the same size
// before the seal was listed with its altered sum (report.html and MANIFEST
// disagreed); every other file is still read from the disk.
func TestHTMLListsTheSumsManifestLists(t *testing.T) {
	s := testrun.NewStore(t, testrun.Run(report.ModeLive))
	scriptHTML(t, s, "web-app-prod", "boom")
	const rel = "evidence/002-snapshot.jsonl"
	p := filepath.Join(s.Dir(), filepath.FromSlash(rel))
	written, err := runstore.HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	altered := []byte(strings.Replace(string(b), `"status":200`, `"status":401`, 1))
	if string(altered) == string(b) {
		t.Fatal("the evidence line has no status 200 to alter")
	}
	if err := os.WriteFile(p, altered, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(nil, Renderer{}); err != nil {
		t.Fatal(err)
	}
	page := testrun.ReadFile(t, filepath.Join(s.Dir(), runstore.ReportHTML))
	manifest := testrun.ReadFile(t, filepath.Join(s.Dir(), runstore.ManifestFile))
	row := regexp.MustCompile(`<tr id="[^"]*"><td><code>([^<]+)</code></td><td class="num">[^<]*</td><td><code class="sha">([0-9a-f]{64})</code>`)
	rows := row.FindAllStringSubmatch(page, -1)
	if len(rows) < 4 {
		t.Fatalf("report.html lists %d files", len(rows))
	}
	for _, r := range rows {
		if !strings.Contains(manifest, r[2]+"  "+r[1]+"  ") {
			t.Errorf("report.html lists %s with %s; MANIFEST does not", r[1], r[2])
		}
		if r[1] == rel && r[2] != written {
			t.Errorf("report.html lists %s with %s, want the sum of the bytes written, %s", rel, r[2], written)
		}
	}
}
