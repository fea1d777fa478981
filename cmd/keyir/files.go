package main

import "context"
import "errors"
import "fmt"
import "io"

import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/credentials"

// readSmallFile is the env's readFile: what keyir reads through it (the
// leaked key's file, *_FILE credentials) is a regular file of at most
// credentials.MaxFile bytes, opened without following a link and
// without blocking, so /dev/zero, a FIFO or a 10 GB file is a clear refusal.
func readSmallFile(path string) ([]byte, error) {
	return credentials.ReadFile(path)
}

// credentialFileCommands are the commands that read credentials from the
// environment. A drill never does (its simulators supply them), so a drill is
// not refused for a bad *_FILE it would never read, nor is one opened. Nor
// does the resume of a drill: resume is not listed, but checks them itself
// (checkCredentialVars) once it knows its run is not a drill's.
var credentialFileCommands = map[string]bool{"respond": true, "run": true, "serve": true, "doctor": true, "inventory": true}

// checkCredentialFiles looks at every NAME_FILE of keyir's credentials before
// the command starts, without reading any: a path that is a link, not a
// regular file, or over the cap is bad usage (exit 2) now, rather than a
// failed step in the middle of a run.
func checkCredentialFiles(command string, getenv func(string) string) error {
	if !credentialFileCommands[command] {
		return nil
	}
	return checkCredentialVars(getenv)
}

// checkCredentialVars is checkCredentialFiles for a command that reads
// credentials.
func checkCredentialVars(getenv func(string) string) error {
	for _, name := range credentialVars {
		if err := checkCredentialFile(name, getenv); err != nil {
			return err
		}
	}
	return nil
}

// checkCredentialFile checks NAME_FILE (when set) without reading it: a link,
// a file that is not regular, or one over the cap is bad usage (exit 2).
// The playbook's own credentials (`credentials: {X: {env: VAR}}`) are
// checked this way too before a run starts, not found by a failing step.
func checkCredentialFile(name string, getenv func(string) string) error {
	if err := credentials.CheckFile(name, getenv); err != nil {
		return usageErr(err)
	}
	return nil
}

// checkBaselineFlag reads the --baseline file before the run starts: a file
// keyir refuses (a link, /dev/zero, a FIFO, over sendgrid.MaxBaseline) or
// that is not an inventory is bad usage (exit 2) now, not a failed step later.
func checkBaselineFlag(path string) error {
	if path == "" {
		return nil
	}
	if _, err := sendgrid.LoadBaseline(path); err != nil {
		return usageErr(fmt.Errorf("--baseline: %w", err))
	}
	return nil
}

// errInterrupted ends a read that a signal cut short.
var errInterrupted = errors.New("interrupted by a signal")

// ctxReader reads r in a goroutine so that a read blocked on a terminal or a
// pipe that never closes (`--key -`) ends when ctx does: the signal wins.
// The goroutine left blocked in read(2) dies with the process.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	pending chan readResult
	left    []byte // read but not yet returned
}

type readResult struct {
	b   []byte
	err error
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader { return &ctxReader{ctx: ctx, r: r} }

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, errInterrupted
	}
	if len(c.left) > 0 {
		n := copy(p, c.left)
		c.left = c.left[n:]
		return n, nil
	}
	if c.pending == nil {
		ch := make(chan readResult, 1)
		buf := make([]byte, len(p))
		go func() {
			n, err := c.r.Read(buf)
			ch <- readResult{buf[:n], err}
		}()
		c.pending = ch
	}
	select {
	case <-c.ctx.Done():
		return 0, errInterrupted
	case res := <-c.pending:
		c.pending = nil
		n := copy(p, res.b)
		c.left = res.b[n:]
		if len(c.left) > 0 {
			return n, nil // the error, if any, comes with the last bytes
		}
		return n, res.err
	}
}

// isSignal reports whether an error means the command was interrupted.
func isSignal(err error) bool {
	return errors.Is(err, errInterrupted)
}
