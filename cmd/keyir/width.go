package main

import "io"
import "strconv"
import "strings"
import "sync/atomic"
import "unicode/utf8"

import "github.com/urfave/cli/v2"

// outputColumns is the width tables and help are laid out for: COLUMNS when
// set, else the terminal's, else 80. Tables and help are drawn by package
// level hooks (urfave/cli's HelpPrinter, newTable), hence a package value;
// it is atomic because a test process holds many apps.
var outputColumns atomic.Int64

func columns() int {
	if n := outputColumns.Load(); n > 0 {
		return int(n)
	}
	return 80
}

// resolveWidth is the width keyir lays its output out for. COLUMNS wins
// over the terminal's own size (a user narrowing the output, a CI log);
// below 40 columns nothing can be laid out, so 40 is the least.
func resolveWidth(getenv func(string) string, term int) int {
	w := term
	if n, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && n > 0 {
		w = n
	}
	if w <= 0 {
		w = 80
	}
	return max(w, 40)
}

func init() {
	cli.HelpPrinter = func(w io.Writer, templ string, data any) {
		cli.HelpPrinterCustom(w, templ, data, map[string]any{"wrapAt": columns})
	}
}

// wrapText breaks s into lines of at most width runes at spaces, every line
// after the first indented by indent. A word longer than a line stays whole.
func wrapText(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	n := 0
	for i, w := range words {
		wl := utf8.RuneCountInString(w)
		if i > 0 && n+1+wl > width {
			b.WriteString("\n" + indent)
			n = utf8.RuneCountInString(indent)
		} else if i > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += wl
	}
	return b.String()
}
