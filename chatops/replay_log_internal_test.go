package chatops

import "bytes"
import "errors"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

// The log as a crash can leave it: a last line cut short is a write whose
// commit never returned, and is dropped; a bad line before the last is not
// a torn write, and makes the record unreadable (fenced at start). The
// older whole-file format is still read, so an upgrade forgets nothing.
func TestReplayLogReadsWhatACrashLeaves(t *testing.T) {
	const head = `{"version":2,"fence":1799999000}` + "\n"
	good := `{"k":"h:aa","exp":1800000300}` + "\n"
	for _, c := range []struct {
		name, file string
		want       []string // keys read
		err        error
	}{
		{"whole lines", head + good, []string{"h:aa"}, nil},
		{"torn last line", head + good + `{"k":"h:b`, []string{"h:aa"}, nil},
		{"header only, torn", `{"version":2,"fe`, nil, errReplayUnreadable},
		{"bad line before the last", head + "garbage\n" + good, nil, errReplayUnreadable},
		{"zeros then a line", head + "\x00\x00\x00\n" + good, nil, errReplayUnreadable},
		{"older format", `{"version":1,"entries":[{"k":"h:aa","exp":1800000300}],"fence":1799999000}`, []string{"h:aa"}, nil},
		{"unknown version", `{"version":3}` + "\n" + good, nil, errReplayUnreadable},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ReplayFile)
			if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
				t.Fatal(err)
			}
			d, _, err := readReplay(path)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			var got []string
			for _, e := range d.Entries {
				got = append(got, e.Key)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("keys %v, want %v", got, c.want)
			}
			if c.err == nil && d.Fence != 1799999000 {
				t.Fatalf("fence %d", d.Fence)
			}
		})
	}
}

// A torn line left by a crash is dropped at start, and what is appended
// afterwards is not glued to it: the start rewrites the file.
func TestReplayLogAppendsAfterATornLine(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeNow{t: time.Unix(1_800_000_000, 0)}
	c, _, err := loadReplay(dir, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.admit("h:one", clk.now().Unix()); err != nil {
		t.Fatal(err)
	}
	c.close()
	path := filepath.Join(dir, ReplayFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"k":"h:tw`) // a crash mid-append
	f.Close()
	c2, note, err := loadReplay(dir, clk.now)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	if err := c2.admit("h:two", clk.now().Unix()); err != nil {
		t.Fatal(err)
	}
	d := onDisk(t, dir)
	if len(d.Entries) != 2 {
		t.Fatalf("entries on disk %+v, want h:one and h:two", d.Entries)
	}
	if err := c2.admit("h:one", clk.now().Unix()); !errors.Is(err, errReplayed) {
		t.Fatalf("replay after the crash: %v", err)
	}
}

// The log is rewritten once it holds replayLogLines lines, so it never
// outgrows the cap a start reads (maxReplayFile); expired entries go then.
func TestReplayLogStaysUnderItsCap(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeNow{t: time.Unix(1_800_000_000, 0)}
	c, _, err := loadReplay(dir, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ReplayFile)
	largest := int64(0)
	for i := range replayLogLines + replayLogLines/2 {
		// Keys of the longest kind, about 70 per minute: entries expire
		// as the log grows.
		if err := c.admit(contentKey("1", []byte{byte(i), byte(i >> 8)}), clk.now().Unix()); err != nil {
			t.Fatal(i, err)
		}
		clk.add(time.Second)
		if i%64 == 0 {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			largest = max(largest, st.Size())
		}
	}
	if largest >= maxReplayFile || largest < maxReplayFile/4 {
		t.Fatalf("largest log %d bytes, want under the cap %d (and not rewritten on every commit)", largest, maxReplayFile)
	}
	d := onDisk(t, dir)
	live := 0
	for _, e := range d.Entries {
		if e.Expires > clk.now().Unix() {
			live++
		}
	}
	inMemory := 0
	for _, exp := range c.entries {
		if exp > clk.now().Unix() {
			inMemory++
		}
	}
	if live != inMemory || live == 0 {
		t.Fatalf("%d live entries on disk, %d in memory", live, inMemory)
	}
}

// readReplay takes any bytes: an error or a record, never a panic, and a
// record it returns has only keys.
func FuzzReadReplay(f *testing.F) {
	f.Add([]byte(`{"version":2,"fence":5}` + "\n" + `{"k":"h:aa","exp":7}` + "\n"))
	f.Add([]byte(`{"version":1,"entries":[{"k":"h:aa","exp":7}]}`))
	f.Add([]byte(`{"version":2}` + "\n" + `{"k":"h:a`))
	f.Add([]byte("\n\n\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, ReplayFile)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		d, n, err := readReplay(path)
		if n != len(b) && len(b) <= maxReplayFile {
			t.Fatalf("size %d, want %d", n, len(b))
		}
		if err != nil {
			return
		}
		for _, e := range d.Entries {
			if e.Key == "" {
				t.Fatalf("an entry without a key from %q", b)
			}
		}
		if d.Version == 2 && !bytes.Contains(b, []byte("\n")) {
			t.Fatalf("a log without one whole line read from %q", b)
		}
	})
}
