package chatops

import "os"

// Lines appended to serve's logs (the audit log, the request log, the
// replay record) wait in memory for the group commit that makes them
// durable (commit.go): the commit writes each file's lines in one write,
// then fsyncs it. A burst of 100 commands made 400 write calls, one per
// line, each taking the file's lock in the kernel while 100 handlers
// competed for 2 CPUs; now it makes one per file and commit. What is on
// disk when an answer leaves is unchanged: every append is followed by a
// commit of its file, nothing is answered before that commit returns, and
// the commit writes the lines before its fsync. A line whose commit has
// not run yet is in memory instead of the page cache: a crash loses it
// either way for a power loss, and for a killed process it was never
// acknowledged.

// lineBuf holds lines not yet written to their file, in append order. Its
// owner's lock guards it.
type lineBuf struct{ b []byte }

// maxKeptLineBuf: a buffer larger than this (a burst's lines) is not kept
// for the next one.
const maxKeptLineBuf = 1 << 20

func (l *lineBuf) add(line []byte) { l.b = append(l.b, line...) }

// writeTo writes the held lines to f in one write and empties the buffer,
// returning how many bytes did not reach f, and why.
func (l *lineBuf) writeTo(f *os.File) (int, error) {
	if len(l.b) == 0 {
		return 0, nil
	}
	n, err := f.Write(l.b)
	rest := len(l.b) - n
	l.drop()
	return rest, err
}

// drop forgets the held lines (the file is rewritten from elsewhere).
func (l *lineBuf) drop() {
	if cap(l.b) > maxKeptLineBuf {
		l.b = nil
	} else {
		l.b = l.b[:0]
	}
}
