package runstore

import "bufio"
import "bytes"
import "crypto/sha256"
import "encoding/hex"
import "errors"
import "fmt"
import "io"
import "io/fs"
import "os"
import "path/filepath"
import "sort"
import "strings"
import "sync"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// manifestSeed starts the chain. It names the format, so a future v2 cannot be
// mistaken for this one.
const manifestSeed = "keyir-manifest-v1"

// ErrNoManifest is returned by Verify for a directory without MANIFEST: the
// run never finished.
var ErrNoManifest = errors.New("no MANIFEST")

// Renderer draws the renderings Finish seals into a run directory. The store
// keeps files and does not know how a report looks: the caller passes the
// renderers (htmlreport.Renderer is the full set), so a program that only
// writes journals does not link the chart library.
type Renderer interface {
	// RenderJSON writes report.json.
	RenderJSON(w io.Writer, rep *report.Report) error
	// RenderMarkdown writes report.md.
	RenderMarkdown(w io.Writer, rep *report.Report) error
	// RenderHTML writes report.html; dir is the run directory, whose files
	// the page lists with their SHA-256.
	RenderHTML(w io.Writer, rep *report.Report, dir string) error
}

// FileSums gives the SHA-256 of the file rel (slash-separated, relative to
// the run directory dir).
type FileSums func(dir, rel string) (string, error)

// HashDirFile is the FileSums that reads every file: HashFile.
func HashDirFile(dir, rel string) (string, error) {
	return HashFile(filepath.Join(dir, filepath.FromSlash(rel)))
}

// HTMLPreparer is a Renderer that draws report.html in two parts: all but
// its list of the run directory's files first, while Finish writes the
// other reports (the charts are most of the page's cost), then the list
// with the sums Finish already holds: the running SHA-256 of each evidence
// file this process wrote and closed (the sums MANIFEST lists, written.go),
// every other file read from the disk. report.html read and hashed all the
// evidence again, about 40 MB in an Email Activity run (BENCHMARKS.md,
// "Sixth pass").
type HTMLPreparer interface {
	PrepareHTML(rep *report.Report, dir string) func(w io.Writer, sum FileSums) error
}

// startHTML starts drawing report.html (in the background when r is an
// HTMLPreparer) and returns what writes it once the files are known.
func startHTML(r Renderer, rep *report.Report, dir string) func(w io.Writer, known map[string]writtenSum) error {
	p, ok := r.(HTMLPreparer)
	if !ok {
		return func(w io.Writer, _ map[string]writtenSum) error { return r.RenderHTML(w, rep, dir) }
	}
	ready := make(chan func(io.Writer, FileSums) error, 1)
	go func() { ready <- p.PrepareHTML(rep, dir) }()
	return func(w io.Writer, known map[string]writtenSum) error {
		return (<-ready)(w, func(dir, rel string) (string, error) {
			return known[rel].of(filepath.Join(dir, filepath.FromSlash(rel)))
		})
	}
}

// Finish seals a finished run. The order is deliberate:
//
//  1. findings.json, report.json, report.md and run.json are written from rep;
//  2. a manifest_written event is appended to the journal with the SHA-256 of
//     each of those renderings, so the journal (the source of truth) also
//     binds what was rendered from it;
//  3. report.html is rendered, listing the SHA-256 of every file so far (the
//     journal is sealed by then, so its sum is final; for the same reason
//     the event in 2 cannot name report.html's sum, MANIFEST binds it);
//  4. MANIFEST is written over every file, the journal and report.html included.
//
// The event cannot carry the MANIFEST head: the head covers journal.jsonl, so
// an event naming it would have to contain its own hash. The head is returned
// instead (and set in rep.ManifestHead) for the caller to print and post where
// the run directory's owner cannot rewrite it (the terminal, the incident
// channel): that copy is what makes an edited-and-rechained MANIFEST
// detectable. After Finish the journal is sealed and Append fails.
//
// A nil rep means the store's own replay of the journal. r draws the
// renderings.
func (s *Store) Finish(rep *report.Report, r Renderer) (head string, err error) {
	if rep == nil {
		if rep, err = s.Report(); err != nil {
			return "", err
		}
	}
	if rep.Run.ID != s.Run().ID {
		return "", fmt.Errorf("report is for run %q, this directory holds run %q", rep.Run.ID, s.Run().ID)
	}
	s.mu.Lock()
	var open []string
	for name := range s.open {
		open = append(open, name)
	}
	s.mu.Unlock()
	if len(open) > 0 {
		// MANIFEST would hash a file that is still growing.
		sort.Strings(open)
		return "", fmt.Errorf("cannot finish: evidence still open: %s", strings.Join(open, ", "))
	}
	fillEvidence(s.dir, rep)
	html := startHTML(r, rep, s.dir)
	var md, js bytes.Buffer
	if err := r.RenderMarkdown(&md, rep); err != nil {
		return "", err
	}
	if err := r.RenderJSON(&js, rep); err != nil {
		return "", err
	}
	findings := rep.Findings
	if findings == nil {
		findings = []report.Finding{}
	}
	// The three are written at once: each is still synced, renamed and its
	// directory synced before Finish goes on, and their syncs overlap
	// instead of queueing one behind another (BENCHMARKS.md, "Sixth pass").
	// The first error in this order is the one returned, as before.
	var errs [3]error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); errs[0] = s.writeJSON(FindingsFile, findings) }()
	go func() { defer wg.Done(); errs[1] = s.WriteFile(ReportJSON, js.Bytes()) }()
	go func() { defer wg.Done(); errs[2] = s.WriteFile(ReportMD, md.Bytes()) }()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	if err := s.UpdateRun(func(r *report.Run) { *r = rep.Run.Clone() }); err != nil {
		return "", err
	}
	sums := map[string]any{}
	for _, name := range []string{FindingsFile, ReportJSON, ReportMD, RunFile} {
		sum, err := HashFile(filepath.Join(s.dir, name))
		if err != nil {
			return "", err
		}
		sums[name] = sum
	}
	// From the manifest_written event to MANIFEST the directory is sealed
	// but unverifiable: a signalled process waits for this (AwaitSeals).
	sealing.Add(1)
	defer sealing.Add(-1)
	if err := s.Append(report.Event{Type: report.EventManifestWritten, Data: map[string]any{"sha256": sums}}); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	// report.html last: its evidence list gives the final SHA-256 of every
	// other file, the sealed journal included; MANIFEST then covers it.
	known := s.writtenSums()
	var page bytes.Buffer
	if err := html(&page, known); err != nil {
		return "", err
	}
	if err := s.WriteFile(ReportHTML, page.Bytes()); err != nil {
		return "", err
	}
	head, err = sealManifest(s.dir, known)
	if err != nil {
		return "", err
	}
	rep.ManifestHead = head
	// The journal is sealed: nothing appends to it again. Closing it drops
	// its lock, so a process that goes on (keyir serve, a test) can resume
	// this run later, and does not keep a descriptor per run.
	return head, s.Close()
}

// fillEvidence names each step's evidence file when the journal did not and
// the file exists, so the report lists every evidence file on disk.
func fillEvidence(dir string, rep *report.Report) {
	for i := range rep.Steps {
		st := &rep.Steps[i]
		if st.Evidence != "" || st.Index < 0 {
			continue
		}
		name := EvidenceName(st.Index, st.ID)
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil && fi.Mode().IsRegular() {
			st.Evidence = name
		}
	}
}

// manifestEntry is one file line of MANIFEST.
type manifestEntry struct {
	sum, path, chain string
}

func chainStart() string {
	sum := sha256.Sum256([]byte(manifestSeed))
	return hex.EncodeToString(sum[:])
}

// chainNext is chain_i = hex(SHA-256(chain_{i-1} || sha_i || relpath_i)). The
// two hashes have a fixed length, so the concatenation is unambiguous.
func chainNext(prev, sum, rel string) string {
	h := sha256.New()
	io.WriteString(h, prev)
	io.WriteString(h, sum)
	io.WriteString(h, rel)
	return hex.EncodeToString(h.Sum(nil))
}

// WriteManifest hashes every regular file under dir except MANIFEST itself and
// writes MANIFEST atomically:
//
//	<sha256>  <relpath>  <chain>
//	head <chain_n>
//
// with paths sorted and slash-separated. Each line's chain value depends on
// every line before it, so a line cannot be removed or edited without
// rewriting the rest, and the head changes with any change at all.
func WriteManifest(dir string) (head string, err error) { return writeManifest(dir, nil) }

// writeManifestFile writes MANIFEST; a variable so a test can fill the disk.
var writeManifestFile = safefile.WriteAtomic

// writeManifest is WriteManifest taking the SHA-256 of the files in known
// (by relative path) as given, not read again.
func writeManifest(dir string, known map[string]writtenSum) (head string, err error) {
	files, odd, err := ListFiles(dir)
	if err != nil {
		return "", err
	}
	if len(odd) > 0 {
		return "", fmt.Errorf("manifest: %s: not regular files; a run directory holds only files keyir wrote", strings.Join(odd, ", "))
	}
	var b strings.Builder
	chain := chainStart()
	for _, rel := range files {
		if strings.ContainsAny(rel, "\n\r") {
			return "", fmt.Errorf("manifest: file name %q contains a line break", rel)
		}
		sum, err := known[rel].of(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		chain = chainNext(chain, sum, rel)
		fmt.Fprintf(&b, "%s  %s  %s\n", sum, rel, chain)
	}
	fmt.Fprintf(&b, "head %s\n", chain)
	if err := writeManifestFile(filepath.Join(dir, ManifestFile), []byte(b.String()), FilePerm); err != nil {
		return "", fmt.Errorf("write manifest: %w", err)
	}
	return chain, nil
}

// ListFiles returns the regular files under dir (except MANIFEST), sorted,
// slash-separated, and separately anything else: links, sockets and the
// like, and any directory but the run directory itself and evidence/.
func ListFiles(dir string) (files, odd []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// keyir makes the run directory and evidence/, nothing else: a
			// directory added afterwards, even empty, is a change to the
			// run that MANIFEST cannot list, so it is reported, never
			// passed over.
			if rel != "." && rel != EvidenceDir {
				odd = append(odd, rel+" (a directory keyir does not make)")
			}
			return nil
		}
		switch {
		case rel == ManifestFile:
		case d.Type().IsRegular():
			files = append(files, rel)
		case d.Type()&fs.ModeSymlink != 0:
			odd = append(odd, rel+" (a symbolic link)")
		default:
			odd = append(odd, rel+" (not a regular file)")
		}
		return nil
	})
	sort.Strings(files)
	sort.Strings(odd)
	return files, odd, err
}

// HashFile streams a file through SHA-256; evidence files can be large, but
// not larger than MaxEvidenceFile, and a link or special file is refused.
func HashFile(path string) (string, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return "", err
	} else if fi.Size() > MaxEvidenceFile {
		return "", &safefile.Error{Path: path, Err: safefile.ErrTooLarge, Detail: fmt.Sprintf("%s; the limit is %s", safefile.Size(fi.Size()), safefile.Size(MaxEvidenceFile))}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, MaxEvidenceFile+1)); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyResult is what `keyir report verify` found. Files are relative,
// slash-separated paths.
type VerifyResult struct {
	// Dir is the directory checked: the argument, or the directory it
	// links to when it is itself a symbolic link.
	Dir     string
	Files   int      // files listed in MANIFEST
	Changed []string // listed, present, different content
	Missing []string // listed, gone
	Added   []string // present, not listed (links and special files say so)
	// ChainBroken means MANIFEST itself was edited: a line does not chain
	// from the one before it, or the head does not match.
	ChainBroken bool
	// Head is the head recorded in MANIFEST. A MANIFEST rewritten by someone
	// who also recomputed the whole chain verifies cleanly on its own;
	// comparing Head with the head printed and posted when the run finished
	// catches that.
	Head string
	// Journal describes a problem with journal.jsonl's own hash chain, or "".
	Journal string
	// Problems are other reasons the directory cannot be trusted: a MANIFEST
	// that cannot be read, or (without MANIFEST) what the journal and the
	// files disagree on.
	Problems []string
	// Unfinished, when not "", says that the run's seal was cut short (its
	// journal seals it, MANIFEST was never written) and nothing else is
	// wrong: what is missing and the next step. Not verified (OK is
	// false), but not tampered either: Problems is empty.
	Unfinished string
	// Exposed are files and directories that match MANIFEST but can be
	// changed later (a second hard link, write permission for others): not
	// a change, so OK ignores them, but what makes "intact" hold only now.
	Exposed []Exposure
}

// OK reports whether the directory is exactly as the run left it.
func (v VerifyResult) OK() bool {
	return len(v.Changed) == 0 && len(v.Missing) == 0 && len(v.Added) == 0 && !v.ChainBroken && v.Journal == "" && len(v.Problems) == 0 && v.Unfinished == ""
}

// Tampered reports whether something the run sealed or chained is not as
// it left it: not OK, and not merely a seal cut short.
func (v VerifyResult) Tampered() bool { return !v.OK() && v.Unfinished == "" }

// Reasons lists every finding, one line each, for a message.
func (v VerifyResult) Reasons() []string {
	var out []string
	for _, f := range v.Changed {
		out = append(out, "changed: "+f)
	}
	for _, f := range v.Missing {
		out = append(out, "missing: "+f)
	}
	for _, f := range v.Added {
		out = append(out, "added:   "+f)
	}
	if v.ChainBroken {
		out = append(out, "MANIFEST itself was edited: its hash chain is broken")
	}
	if v.Journal != "" {
		out = append(out, "journal: "+v.Journal)
	}
	if v.Unfinished != "" {
		out = append(out, "unfinished: "+v.Unfinished)
	}
	return append(out, v.Problems...)
}

// Verify checks a run directory against its MANIFEST and the journal's hash
// chain. The error is for a directory that cannot be checked at all; what
// the check found is in the result. dir may itself be a symbolic link to a
// run directory; nothing inside is followed.
//
// Without MANIFEST, the directory is checked as a resume would check it:
// only a run that can be resumed gets ErrNoManifest (with the suggestion to
// resume it); anything else is reported in the result.
func Verify(dir string) (VerifyResult, error) {
	var res VerifyResult
	dir, err := ResolveRunDir(dir)
	if err != nil {
		return res, err
	}
	res.Dir = dir
	data, err := safefile.ReadFile(filepath.Join(dir, ManifestFile), MaxManifest)
	if errors.Is(err, fs.ErrNotExist) {
		return verifyUnsealed(dir)
	}
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
		return res, nil
	}
	listed, head, broken := parseManifest(data)
	res.ChainBroken = broken
	res.Head = head
	res.Files = len(listed)

	files, odd, err := ListFiles(dir)
	if err != nil {
		return res, err
	}
	present := make(map[string]bool, len(files))
	for _, f := range files {
		present[f] = true
	}
	for _, e := range listed {
		if !present[e.path] {
			res.Missing = append(res.Missing, e.path)
			continue
		}
		delete(present, e.path)
		sum, err := HashFile(filepath.Join(dir, filepath.FromSlash(e.path)))
		if err != nil {
			res.Problems = append(res.Problems, err.Error())
			continue
		}
		if sum != e.sum {
			res.Changed = append(res.Changed, e.path)
		}
	}
	for f := range present {
		res.Added = append(res.Added, f)
	}
	res.Added = append(res.Added, odd...)
	sort.Strings(res.Added)
	res.Exposed = exposures(dir, append(files, ManifestFile))

	if _, torn, err := ReadJournal(dir); err != nil {
		res.Journal = err.Error()
	} else if torn {
		res.Journal = JournalFile + ": the last line is torn (a write was cut off)"
	}
	return res, nil
}

// verifyUnsealed is Verify for a directory without MANIFEST.
func verifyUnsealed(dir string) (VerifyResult, error) {
	res := VerifyResult{Dir: dir}
	chk, err := CheckResume(dir)
	var te *TamperError
	var se *safefile.Error
	switch {
	case err == nil && chk.UnfinishedSeal > 0:
		// Not verified (nothing vouches for the directory yet), but not
		// tampered: CheckResume held every file the journal binds to it.
		res.Unfinished = (&UnfinishedSealError{Dir: dir, Line: chk.UnfinishedSeal}).Unfinished()
		return res, nil
	case err == nil:
		return res, fmt.Errorf("%s: %w: the run did not finish (it crashed, was killed, or is still running); its journal and files are as recorded so far; run `keyir resume %s` to finish it", dir, ErrNoManifest, dir)
	case errors.As(err, &te):
		res.Problems = append([]string{ManifestFile + ": missing"}, te.Problems...)
		return res, nil
	case errors.As(err, &se):
		res.Problems = []string{ManifestFile + ": missing", err.Error()}
		return res, nil
	}
	return res, err
}

// parseManifest reads MANIFEST and recomputes its chain. Lines are parsed
// from both ends (the hashes have a fixed length), so a path may contain
// spaces. Any malformed line, out-of-order path or wrong chain value marks
// the chain broken; well-formed lines are still returned so the files they
// name are checked.
func parseManifest(data []byte) (entries []manifestEntry, head string, broken bool) {
	chain := chainStart()
	sawHead := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if sawHead {
			broken = true // nothing may follow the head
			continue
		}
		if h, ok := strings.CutPrefix(line, "head "); ok {
			sawHead = true
			head = h
			if h != chain {
				broken = true
			}
			continue
		}
		e, ok := parseManifestLine(line)
		if !ok {
			broken = true
			continue
		}
		if len(entries) > 0 && e.path <= entries[len(entries)-1].path {
			broken = true
		}
		chain = chainNext(chain, e.sum, e.path)
		if e.chain != chain {
			broken = true
			chain = e.chain // report one edit once, not every line after it
		}
		entries = append(entries, e)
	}
	if sc.Err() != nil || !sawHead {
		broken = true
	}
	return entries, head, broken
}

func parseManifestLine(line string) (manifestEntry, bool) {
	const h = 64
	if len(line) < h+2+1+2+h || line[h:h+2] != "  " || line[len(line)-h-2:len(line)-h] != "  " {
		return manifestEntry{}, false
	}
	e := manifestEntry{sum: line[:h], path: line[h+2 : len(line)-h-2], chain: line[len(line)-h:]}
	if !isHex(e.sum) || !isHex(e.chain) {
		return manifestEntry{}, false
	}
	return e, true
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
