// Package console is keyir's terminal presentation of a run: on a TTY a live
// step list (a spinner on the running step, then each step's status and
// duration), elsewhere (pipes, CI, NO_COLOR) one plain line per event. It is
// a playbook.Observer and writes only to the writer it is given, which the
// CLI wraps in the run's redactor.
package console

import "fmt"
import "io"
import "strings"
import "sync"
import "time"
import "unicode/utf8"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Console draws a run. Create with New; it is safe for concurrent use.
type Console struct {
	mu       sync.Mutex
	w        io.Writer
	live     bool // redraw in place (a TTY)
	color    bool // colour the status marks (a TTY without NO_COLOR)
	width    int  // terminal columns: a longer line would wrap and break the redraw
	steps    []report.Step
	progress map[int]string
	lines    int // lines drawn by the last redraw
	frame    int
	stop     chan struct{}
	done     chan struct{}
}

// New returns a console writing to w. live selects the redrawn step list;
// callers pass live only for a terminal without NO_COLOR. width is the
// terminal's column count (0: assume 80).
func New(w io.Writer, live bool, width int) *Console {
	if width <= 0 {
		width = 80
	}
	return &Console{w: w, live: live, width: width, progress: map[int]string{}}
}

// SetColor turns colour on or off. Colour is separate from the live list:
// NO_COLOR (no-color.org) asks for no colour, not for a different display.
// Only the live list is coloured; plain lines go to logs and pipes.
func (c *Console) SetColor(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.color = on
}

// RunStarted prints the run header and, on a TTY, starts the spinner.
func (c *Console) RunStarted(rep *report.Report, dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps = append([]report.Step(nil), rep.Steps...)
	// A dry run's banner counts its refused writes: at the start there are
	// none yet, and the summary gives the count, so the start says what a
	// dry run does instead of a count that the end contradicts.
	if rep.Run.Mode == report.ModeDryRun {
		fmt.Fprintln(c.w, "DRY RUN — every read runs; every write is refused and listed as a planned change.")
	} else if b := render.Banner(rep); b != "" {
		fmt.Fprintln(c.w, b)
	}
	verb := "started"
	if rep.Run.Resumes > 0 {
		verb = "resumed"
	}
	fmt.Fprintf(c.w, "keyir: run %s %s — playbook %s, mode %s", rep.Run.ID, verb, rep.Run.Playbook, rep.Run.Mode)
	if rep.Run.Incident != "" {
		fmt.Fprintf(c.w, ", incident %s", rep.Run.Incident)
	}
	fmt.Fprintf(c.w, "\nkeyir: evidence in %s\n", dir)
	if c.live {
		c.stop, c.done = make(chan struct{}), make(chan struct{})
		go c.spin()
		c.redraw()
	}
}

func (c *Console) spin() {
	defer close(c.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.mu.Lock()
			c.frame++
			c.redraw()
			c.mu.Unlock()
		}
	}
}

func (c *Console) StepStarted(s report.Step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(s)
	if c.live {
		c.redraw()
		return
	}
	fmt.Fprintf(c.w, "  … %-14s %s\n", s.ID, s.Action)
}

func (c *Console) StepProgress(s report.Step, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress[s.Index] = oneLine(text)
	if c.live {
		c.redraw()
		return
	}
	fmt.Fprintf(c.w, "    %s: %s\n", s.ID, oneLine(text))
}

func (c *Console) StepFinished(s report.Step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(s)
	delete(c.progress, s.Index)
	if c.live {
		c.redraw()
		return
	}
	fmt.Fprintln(c.w, stepLine(s, ""))
}

// RunFinished stops the spinner and leaves the final step list on screen.
func (c *Console) RunFinished(rep *report.Report, dir string) {
	c.mu.Lock()
	if c.live && c.stop != nil {
		close(c.stop)
		c.mu.Unlock()
		<-c.done
		c.mu.Lock()
		c.stop = nil
		c.steps = append([]report.Step(nil), rep.Steps...)
		c.redraw()
	}
	c.mu.Unlock()
}

func (c *Console) set(s report.Step) {
	for i := range c.steps {
		if c.steps[i].Index == s.Index {
			c.steps[i] = s
			return
		}
	}
	c.steps = append(c.steps, s)
}

// redraw moves the cursor up over the previous drawing and draws the list
// again. Each line is cleared first so shorter text leaves no residue.
func (c *Console) redraw() {
	var b strings.Builder
	if c.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", c.lines)
	}
	for _, s := range c.steps {
		b.WriteString("\x1b[2K")
		line := clip(stepLine(s, spinnerFrames[c.frame%len(spinnerFrames)]), c.width-1)
		b.WriteString(c.paint(s.Status, line))
		if p := c.progress[s.Index]; p != "" && s.Status == report.StepRunning {
			if room := c.width - 1 - utf8.RuneCountInString(line) - 2; room > 8 {
				b.WriteString("  " + c.dim(clip(p, room)))
			}
		}
		b.WriteString("\n")
	}
	c.lines = len(c.steps)
	io.WriteString(c.w, b.String())
}

// stepLine renders one step: a status mark, id, action, and duration. spin
// is the spinner frame for a running step on a TTY ("" for plain output).
func stepLine(s report.Step, spin string) string {
	mark := stepLooks[s.Status].mark
	switch {
	case spin == "":
		mark = "[" + string(s.Status) + "]"
	case s.Status == report.StepRunning:
		mark = spin
	case mark == "":
		mark = "?"
	}
	line := fmt.Sprintf("  %s %-14s %-26s", mark, s.ID, s.Action)
	switch s.Status {
	case report.StepPending, report.StepRunning:
	default:
		line += " " + report.FormatDuration(s.Duration)
	}
	if s.Status == report.StepFailed && !s.Critical {
		line += " (non-critical)"
	}
	if s.Status == report.StepPlanned {
		line += " (DRY RUN: planned, not made)"
	}
	if s.Error != "" {
		line += "  " + oneLine(s.Error)
	}
	return line
}

// clip shortens s to n runes, marking the cut: every redrawn line must fit
// on one terminal row, or the cursor arithmetic of the next redraw is off.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// stepLooks is how the terminal shows each step status: the mark on a TTY
// (a running step's is the spinner's frame) and its SGR colour (green done,
// red failed, yellow interrupted, cyan planned, bold running; pending and
// skipped stay plain), in one table: a status's look is decided in one place.
var stepLooks = map[report.StepStatus]struct{ mark, color string }{
	report.StepPending:     {mark: " "},
	report.StepRunning:     {color: "1"},
	report.StepOK:          {"✓", "32"},
	report.StepFailed:      {"✗", "31"},
	report.StepSkipped:     {mark: "-"},
	report.StepPlanned:     {"◇", "36"},
	report.StepInterrupted: {"!", "33"},
}

// paint colours the status mark of a step line (the line's first field
// after its indent), so the text stays as plain output has it.
func (c *Console) paint(st report.StepStatus, line string) string {
	code := stepLooks[st].color
	if !c.color || code == "" || !strings.HasPrefix(line, "  ") {
		return line
	}
	rest := line[2:]
	mark, tail, found := strings.Cut(rest, " ")
	if !found {
		return line
	}
	return "  \x1b[" + code + "m" + mark + "\x1b[0m " + tail
}

func (c *Console) dim(s string) string {
	if !c.color {
		return s
	}
	return "\x1b[2m" + s + "\x1b[0m"
}
