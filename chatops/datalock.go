package chatops

import "errors"
import "fmt"
import "os"
import "syscall"

import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/safefile"

// New opens the data directory (locked: datalock.go) and the audit log and
// restores persisted requests (see Start). It calls nothing on the network.
func New(o Options) (*Server, error) {
	if o.Config == nil || o.Redactor == nil || o.BotToken == "" {
		return nil, errors.New("chatops: Config, Redactor and BotToken are required")
	}
	lock, err := lockDataDir(o.Config.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s, err := open(o, lock)
	if err != nil {
		lock.Close()
	}
	return s, err
}

// ErrDataDirInUse: another keyir serve holds the data directory. Two
// servers on one directory would each believe their own requests: the
// second's start would mark the first's running revokes "interrupted",
// empty the request log the first appends to, and each would take a
// request for a key the other holds, and a replay the other refused.
var ErrDataDirInUse = errors.New("another keyir serve is using this data directory (it is locked); stop it first, or give this one its own data_dir")

// lockDataDir creates the data directory if needed (0700, not a link) and
// takes an exclusive lock on it for the life of the server, before anything
// in it is read or changed. The kernel drops the lock when the process dies
// (kill -9 included), so a crash leaves no stale lock.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := safefile.CheckDir(dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := runstore.LockExclusive(f, ErrDataDirInUse); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
