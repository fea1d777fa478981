package safefile

import "errors"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"
import "time"

func TestReadFileRefusesWhatIsNotASmallRegularFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(10 << 30); err != nil { // sparse: 10 GiB, no disk
		t.Fatal(err)
	}
	f.Close()

	if b, err := ReadFile(small, 5); err != nil || string(b) != "hello" {
		t.Fatalf("small file: %q, %v", b, err)
	}
	cases := []struct {
		path string
		want error
		msg  string
	}{
		{link, ErrSymlink, "symbolic link"},
		{fifo, ErrNotRegular, "named pipe"},
		{"/dev/zero", ErrNotRegular, "character device"},
		{huge, ErrTooLarge, "10 GiB"},
		{small, ErrTooLarge, "5 B; the limit is 4 B"},
		{dir, ErrNotRegular, "directory"},
	}
	for _, c := range cases {
		max := int64(1 << 20)
		if c.path == small {
			max = 4
		}
		start := time.Now()
		_, err := ReadFile(c.path, max)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.path, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: message %q should name the path and say %q", c.path, err, c.msg)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", c.path, d)
		}
	}
}

func TestReadAllCapsStreams(t *testing.T) {
	z, err := os.Open("/dev/zero")
	if err != nil {
		t.Skip(err)
	}
	defer z.Close()
	if _, err := ReadAll(z, 1<<16); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadAll(/dev/zero) = %v, want ErrTooLarge", err)
	}
	b, err := ReadAll(strings.NewReader("abc"), 3)
	if err != nil || string(b) != "abc" {
		t.Fatalf("ReadAll at the limit: %q, %v", b, err)
	}
}

func TestOpenFileForWriteNeverFollowsALink(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "journal.jsonl")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(link, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); !errors.Is(err, ErrSymlink) {
		t.Fatalf("append through a link: %v, want ErrSymlink", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(fifo, os.O_WRONLY, 0); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("write to a FIFO without a reader: %v, want ErrNotRegular", err)
	}
	// WriteAtomic replaces the link itself; the file it pointed at is untouched.
	if err := WriteAtomic(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep me" {
		t.Fatalf("target of the link was changed: %q", b)
	}
	fi, err := os.Lstat(link)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after WriteAtomic: %v %v", fi.Mode(), err)
	}
}

func TestCheckTreeNamesTheIntruder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.md"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckTree(dir); err != nil {
		t.Fatalf("clean tree: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "evidence"), 0o700); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "evidence", "x.json")
	if err := os.Symlink("/etc/passwd", bad); err != nil {
		t.Fatal(err)
	}
	if err := CheckTree(dir); !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("CheckTree = %v, want the link named", err)
	}
	linkDir := filepath.Join(t.TempDir(), "run")
	if err := os.Symlink(dir, linkDir); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(linkDir); !errors.Is(err, ErrSymlink) {
		t.Fatalf("CheckDir(link) = %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 64 << 20: "64 MiB", 10 << 30: "10 GiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

// A hard link in place of a file keyir appends to would carry the write
// outside the directory: opening it for writing is refused, reading is not.
func TestOpenFileForWriteRefusesAHardLink(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "journal")
	if err := os.Link(outside, p); err != nil {
		t.Skip(err)
	}
	f, err := OpenFile(p, os.O_WRONLY|os.O_APPEND, 0o600)
	if !errors.Is(err, ErrHardLinked) || !strings.Contains(err.Error(), p) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("OpenFile for append on a hard link: %v", err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "precious\n" {
		t.Errorf("outside file changed: %q", b)
	}
	if b, err := ReadFile(p, 100); err != nil || string(b) != "precious\n" {
		t.Errorf("reading a hard-linked file: %q %v", b, err)
	}
}
