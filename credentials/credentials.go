// Package credentials is where keyir reads a secret it holds: from the
// environment (NAME) or a file it names (NAME_FILE), capped and read through
// safefile, and registered with the run's redactor before the caller gets
// it. It also keeps the rules binding a playbook's declared credential to
// one host. It sits below actions and notify, which both read credentials,
// so neither has to import the other for it.
package credentials

import "errors"
import "fmt"
import "os"
import "strings"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

// MaxFile caps a NAME_FILE credential: a token is a few hundred bytes;
// /dev/zero or a 10 GB file is refused before anything is allocated.
const MaxFile = 64 << 10

// ReadFile reads a credential file: a regular file only, no link followed,
// never blocking, at most MaxFile bytes.
func ReadFile(path string) ([]byte, error) {
	return safefile.ReadFile(path, MaxFile)
}

// Read reads the secret NAME from the environment, or from the file named
// by NAME_FILE, and registers it with r before returning it, so nothing the
// caller writes or prints can carry it unredacted. getenv nil means
// os.Getenv, readFile nil means ReadFile. Setting both NAME and NAME_FILE is
// refused rather than one silently winning: the operator who just put a
// rotated token in the file would otherwise be using the stale variable.
// Credentials never come from flags.
func Read(name string, getenv func(string) string, readFile func(string) ([]byte, error), r *redact.Redactor) (string, error) {
	if r == nil {
		return "", fmt.Errorf("%s: no redactor to register it with (a credential is never read unregistered)", name)
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if readFile == nil {
		readFile = ReadFile
	}
	v := strings.TrimSpace(getenv(name))
	path := strings.TrimSpace(getenv(name + "_FILE"))
	if v != "" {
		r.Add(v) // before any message below could be built around it
	}
	switch {
	case v != "" && path != "":
		return "", bothSet(name)
	case v != "":
		return v, nil
	case path == "":
		return "", fmt.Errorf("%s is not set (set it, or %s_FILE to a file holding it)", name, name)
	}
	b, err := readFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	// A caller's readFile may not cap; this one rule does.
	if len(b) > MaxFile {
		return "", fmt.Errorf("%s_FILE: %s is larger than %s", name, path, safefile.Size(MaxFile))
	}
	if v = strings.TrimSpace(string(b)); v == "" {
		return "", fmt.Errorf("%s_FILE: %s is empty", name, path)
	}
	r.Add(v)
	return v, nil
}

// CheckFile looks at NAME_FILE, when set, without reading it: a link, a
// file that is not regular, one over MaxFile, or NAME set as well is an
// error now, before a command starts, rather than a failed step in the
// middle of a run. A file
// that does not exist is not an error here: Read says so, with context, if
// the command ever needs the credential.
func CheckFile(name string, getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	p := getenv(name + "_FILE")
	if p == "" {
		return nil
	}
	if strings.TrimSpace(getenv(name)) != "" {
		return bothSet(name)
	}
	f, err := safefile.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("%s_FILE: %w", name, err)
	}
	fi, err := f.Stat()
	f.Close()
	if err == nil && fi.Size() > MaxFile {
		err = &safefile.Error{Path: p, Err: safefile.ErrTooLarge, Detail: fmt.Sprintf("%s; the limit is %s", safefile.Size(fi.Size()), safefile.Size(MaxFile))}
	}
	if err != nil {
		return fmt.Errorf("%s_FILE: %w", name, err)
	}
	return nil
}

func bothSet(name string) error {
	return fmt.Errorf("%s and %s_FILE are both set: set one (the value is not shown)", name, name)
}
