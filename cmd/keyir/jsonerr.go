package main

import "bytes"
import "encoding/json"
import "io"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/report"

// countingWriter counts the bytes that reached stdout, so run knows whether
// a command that was asked for JSON printed its document before it failed.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// stderrLines keeps the "keyir: " lines that reached stderr (already
// redacted: it sits under the redacting writer), bounded, so the JSON
// document of an error the command printed itself can carry its text.
type stderrLines struct {
	w       io.Writer
	partial []byte
	lines   []string
}

// maxErrorLines bounds what stderrLines keeps (the last ones win).
const maxErrorLines = 8

func (c *stderrLines) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.partial = append(c.partial, p[:n]...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		if line, ok := strings.CutPrefix(string(c.partial[:i]), "keyir: "); ok {
			c.lines = append(c.lines, line)
			if len(c.lines) > maxErrorLines {
				c.lines = c.lines[1:]
			}
		}
		c.partial = c.partial[i+1:]
	}
	if len(c.partial) > 64<<10 {
		c.partial = nil // a line that long is no message of keyir's
	}
	return n, err
}

// errorJSON is what --output json prints when a command ends with an error
// before printing its own document: a script reading stdout gets one JSON
// document on every path, refusals included.
type errorJSON struct {
	Error       string `json:"error"`
	ExitCode    int    `json:"exit_code"`
	ExitMeaning string `json:"exit_meaning"`
}

// printErrorJSON prints err as errorJSON when the command line asked for
// JSON and stdout is still empty. msg is the message printed on stderr
// ("" when the command printed its own: then its "keyir: " lines); it passes through the redactor
// like everything on stdout.
func (a *app) printErrorJSON(cmds []*cli.Command, args []string, msg string, code int) {
	if a.stdoutBytes == nil || a.stdoutBytes.n > 0 || !wantsJSON(cmds, args, a.getenv) {
		return
	}
	if msg == "" && a.stderrLines != nil {
		msg = strings.Join(a.stderrLines.lines, "; ")
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	_ = enc.Encode(errorJSON{Error: msg, ExitCode: code, ExitMeaning: report.ExitMeaning(code)})
}

// wantsJSON says whether args ask the command they name for --output json
// (or KEYIR_OUTPUT=json when they do not say): read from the raw arguments,
// so a command line that failed to parse is answered in JSON too. Only a
// command that declares --output is answered so.
func wantsJSON(cmds []*cli.Command, args []string, getenv func(string) string) bool {
	var cmd *cli.Command
	for _, arg := range args[min(1, len(args)):] {
		if strings.HasPrefix(arg, "-") {
			break
		}
		c := find(cmds, arg)
		if c == nil {
			break
		}
		cmd, cmds = c, c.Subcommands
	}
	if cmd == nil || !takesValue(cmd, "output") {
		return false
	}
	value := getenv("KEYIR_OUTPUT")
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			break
		}
		for _, name := range []string{"--output", "-output", "-o", "--o"} {
			switch {
			case arg == name && i+1 < len(args):
				value = args[i+1]
			case strings.HasPrefix(arg, name+"="):
				value = strings.TrimPrefix(arg, name+"=")
			}
		}
	}
	return value == "json"
}
