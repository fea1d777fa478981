// Package safefile is the one way keyir opens a file: the last path element
// is never followed if it is a symbolic link (O_NOFOLLOW), only regular files
// are read or written (checked with fstat on the open descriptor, so a swap
// between check and use changes nothing), and the open never blocks (a FIFO
// or device is opened O_NONBLOCK, then refused). Reads are capped before
// anything is allocated, so /dev/zero, a FIFO or a 10 GB file costs a clear
// error instead of the process.
package safefile

import "errors"
import "fmt"
import "io"
import "io/fs"
import "os"
import "path/filepath"
import "syscall"

// Errors a caller can test with errors.Is. Every error this package returns
// names the path.
var (
	ErrSymlink    = errors.New("is a symbolic link; keyir does not follow links")
	ErrNotRegular = errors.New("is not a regular file")
	ErrTooLarge   = errors.New("is too large")
	ErrHardLinked = errors.New("has other hard links; keyir does not write through a link")
)

// Error is a refusal with the path it concerns.
type Error struct {
	Path   string
	Err    error
	Detail string // e.g. "a named pipe (FIFO)", "12.0 GiB, the limit is 1 MiB"
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s %s (%s)", e.Path, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s %s", e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Open opens path for reading: no link followed, never blocking, a regular
// file only. The returned file is in blocking mode again.
func Open(path string) (*os.File, error) {
	return OpenFile(path, os.O_RDONLY, 0)
}

// OpenFile is os.OpenFile with O_NOFOLLOW and O_NONBLOCK added and the
// result checked to be a regular file; opened for writing, it must also have
// no other hard link. perm applies when O_CREATE creates
// the file.
func OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, perm)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &Error{Path: path, Err: ErrSymlink}
		}
		// Opening a FIFO for writing without a reader fails with ENXIO;
		// say what the file is rather than the errno.
		if errors.Is(err, syscall.ENXIO) {
			if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
				return nil, &Error{Path: path, Err: ErrNotRegular, Detail: kind(fi.Mode())}
			}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &Error{Path: path, Err: ErrNotRegular, Detail: kind(fi.Mode())}
	}
	// A hard link planted in place of a file keyir appends to (a journal,
	// evidence) would carry the write, and the chmod after it, to a file
	// outside the directory; O_NOFOLLOW does not see it, the link count does.
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			f.Close()
			return nil, &Error{Path: path, Err: ErrHardLinked, Detail: fmt.Sprintf("%d links", st.Nlink)}
		}
	}
	// A regular file never blocks; clear O_NONBLOCK so the runtime treats
	// the descriptor like any other file.
	if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads a whole regular file of at most max bytes. The size is
// checked on the open descriptor before any allocation, and the read itself
// stops one byte past max, so a file that grows while it is read is caught
// too.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, tooLarge(path, fi.Size(), max)
	}
	b, err := ReadAll(f, max)
	if errors.Is(err, ErrTooLarge) {
		return nil, tooLarge(path, -1, max)
	}
	return b, err
}

// ReadAll reads r to its end, failing with ErrTooLarge past max bytes. It is
// for streams (standard input, response bodies) whose size is not known.
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("input %w: more than %s", ErrTooLarge, Size(max))
	}
	return b, nil
}

func tooLarge(path string, size, max int64) error {
	d := "more than " + Size(max)
	if size >= 0 {
		d = fmt.Sprintf("%s; the limit is %s", Size(size), Size(max))
	}
	return &Error{Path: path, Err: ErrTooLarge, Detail: d}
}

// CheckDir verifies that dir is a real directory, not a symbolic link, and
// returns its absolute path. It does not resolve links in the parent
// directories: those are the operator's layout; the run directory itself and
// everything keyir writes inside it are checked.
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &Error{Path: dir, Err: ErrSymlink}
	}
	if !fi.IsDir() {
		return &Error{Path: dir, Err: errors.New("is not a directory"), Detail: kind(fi.Mode())}
	}
	return nil
}

// CheckTree walks dir (without following links) and refuses the first entry
// that is neither a regular file nor a directory: a link or a special file
// planted in a run directory is named with its path.
func CheckTree(dir string) error {
	if err := CheckDir(dir); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		m := d.Type()
		if m.IsDir() || m.IsRegular() {
			return nil
		}
		if m&fs.ModeSymlink != 0 {
			return &Error{Path: p, Err: ErrSymlink}
		}
		return &Error{Path: p, Err: ErrNotRegular, Detail: kind(m)}
	})
}

// WriteAtomic replaces path with data: a private temporary file in the same
// directory, fsynced, chmod'ed to perm (umask does not filter a chmod),
// renamed over path, and the directory fsynced. A symbolic link at path is
// replaced, never written through.
func WriteAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename or create in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// kind names a non-regular file type for a message.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// Size formats a byte count for a message: "512 B", "64 KiB", "1.5 GiB".
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %ciB", int64(v), "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}
