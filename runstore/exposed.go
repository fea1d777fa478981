package runstore

import "fmt"
import "os"
import "path/filepath"
import "sort"
import "strings"
import "syscall"

// Exposure is a file (or directory) of a run whose content matches MANIFEST
// but that can be changed later without going through the run directory's
// own names or its owner: verified now, not protected. keyir writes files
// 0600 and directories 0700, each with one name; anything else was done to
// the directory after the run.
type Exposure struct {
	Path string `json:"path"`
	Why  string `json:"why"`
}

// exposures checks the run directory, evidence/ and each file named (paths
// relative to dir, MANIFEST included) for what lets them be changed later:
// a second hard link (a name outside what MANIFEST lists, through which
// the bytes can be rewritten) or write permission for group or others. It
// reads metadata only (no link followed); a file it cannot stat is left to
// the content check, which reports it.
func exposures(dir string, files []string) []Exposure {
	var out []Exposure
	for _, d := range []string{".", EvidenceDir} {
		fi, err := os.Lstat(filepath.Join(dir, d))
		if err != nil || !fi.IsDir() {
			continue
		}
		if w := writableBy(fi.Mode()); w != "" {
			out = append(out, Exposure{Path: d + "/", Why: fmt.Sprintf("directory writable by %s (mode %04o): its files can be replaced", w, fi.Mode().Perm())})
		}
	}
	for _, f := range files {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		var why []string
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			why = append(why, fmt.Sprintf("%d hard links: another name, outside what MANIFEST lists, can change it", st.Nlink))
		}
		if w := writableBy(fi.Mode()); w != "" {
			why = append(why, fmt.Sprintf("writable by %s (mode %04o)", w, fi.Mode().Perm()))
		}
		if len(why) > 0 {
			out = append(out, Exposure{Path: f, Why: strings.Join(why, "; ")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// writableBy names who besides the owner may write a file of this mode.
func writableBy(m os.FileMode) string {
	switch g, o := m&0o020 != 0, m&0o002 != 0; {
	case g && o:
		return "group and others"
	case g:
		return "group"
	case o:
		return "others"
	}
	return ""
}
