package credentials

import "errors"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

const token = "tok_live_0123456789abcdefghijklmnop"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestReadFromEnvironment: the value comes back trimmed and is registered
// with the redactor before the caller sees it.
func TestReadFromEnvironment(t *testing.T) {
	red := redact.New()
	got, err := Read("PROVIDER_TOKEN", env(map[string]string{"PROVIDER_TOKEN": "  " + token + "\n"}), nil, red)
	if err != nil || got != token {
		t.Fatalf("Read = %q, %v; want %q", got, err, token)
	}
	if out := red.String("sent " + token); strings.Contains(out, token) {
		t.Errorf("the credential is not registered with the redactor: %q", out)
	}
}

// TestReadFromFile: NAME_FILE is read through safefile and registered.
func TestReadFromFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	red := redact.New()
	got, err := Read("PROVIDER_TOKEN", env(map[string]string{"PROVIDER_TOKEN_FILE": p}), nil, red)
	if err != nil || got != token {
		t.Fatalf("Read = %q, %v; want %q", got, err, token)
	}
	if !red.Contains(token) {
		t.Errorf("the credential read from a file is not registered with the redactor")
	}
}

// TestReadRefusals: every way a credential can be missing or wrong is a
// clear error naming the variable, never a panic, never the value.
func TestReadRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	real := write("real", []byte(token))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	huge := write("huge", make([]byte, MaxFile+1))
	empty := write("empty", []byte(" \n\t"))

	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
		is   error
	}{
		{"missing", nil, "PROVIDER_TOKEN is not set (set it, or PROVIDER_TOKEN_FILE", nil},
		{"blank", map[string]string{"PROVIDER_TOKEN": "   "}, "PROVIDER_TOKEN is not set", nil},
		{"empty file", map[string]string{"PROVIDER_TOKEN_FILE": empty}, "PROVIDER_TOKEN_FILE: " + empty + " is empty", nil},
		{"missing file", map[string]string{"PROVIDER_TOKEN_FILE": filepath.Join(dir, "nope")}, "PROVIDER_TOKEN_FILE: ", os.ErrNotExist},
		{"symlink", map[string]string{"PROVIDER_TOKEN_FILE": link}, "PROVIDER_TOKEN_FILE: ", safefile.ErrSymlink},
		{"fifo", map[string]string{"PROVIDER_TOKEN_FILE": fifo}, "PROVIDER_TOKEN_FILE: ", safefile.ErrNotRegular},
		{"huge", map[string]string{"PROVIDER_TOKEN_FILE": huge}, "PROVIDER_TOKEN_FILE: ", safefile.ErrTooLarge},
		{"both set", map[string]string{"PROVIDER_TOKEN": token, "PROVIDER_TOKEN_FILE": real}, "PROVIDER_TOKEN and PROVIDER_TOKEN_FILE are both set", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := redact.New()
			done := make(chan struct{})
			var (
				got string
				err error
			)
			go func() { // a FIFO must not block the read
				defer close(done)
				got, err = Read("PROVIDER_TOKEN", env(tc.vars), nil, red)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Read blocked")
			}
			if err == nil || got != "" {
				t.Fatalf("Read = %q, %v; want an error", got, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error shows the value: %q", err)
			}
			if tc.name == "both set" && !red.Contains(token) {
				t.Errorf("a value refused for ambiguity is still a secret: it must be registered")
			}
		})
	}
}

// TestReadCapsAnyReader: a caller's own readFile (a test's, a drill's) may
// not cap; the cap is applied to what it returns all the same.
func TestReadCapsAnyReader(t *testing.T) {
	big := func(string) ([]byte, error) { return []byte(strings.Repeat("a", MaxFile+1)), nil }
	_, err := Read("PROVIDER_TOKEN", env(map[string]string{"PROVIDER_TOKEN_FILE": "/x"}), big, redact.New())
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Read = %v; want the cap", err)
	}
}

// TestReadNeedsRedactor: a credential is never handed out unregistered; a
// nil redactor is an error, not a panic.
func TestReadNeedsRedactor(t *testing.T) {
	_, err := Read("PROVIDER_TOKEN", env(map[string]string{"PROVIDER_TOKEN": token}), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no redactor") {
		t.Fatalf("Read with no redactor = %v; want a refusal", err)
	}
}

// TestCheckFile: the pre-flight check refuses what Read would, without
// reading, and lets a missing file through for the command to explain.
func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.WriteFile(real, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, make([]byte, MaxFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		vars map[string]string
		want string // "" for no error
	}{
		{nil, ""},
		{map[string]string{"X_FILE": real}, ""},
		{map[string]string{"X_FILE": filepath.Join(dir, "nope")}, ""},
		{map[string]string{"X_FILE": link}, "symbolic link"},
		{map[string]string{"X_FILE": huge}, "the limit is 64 KiB"},
		{map[string]string{"X_FILE": dir}, "not a regular file"},
		{map[string]string{"X_FILE": real, "X": token}, "X and X_FILE are both set"},
	} {
		err := CheckFile("X", env(tc.vars))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckFile(%v) = %v; want nil", tc.vars, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckFile(%v) = %v; want %q", tc.vars, err, tc.want)
		}
	}
}
