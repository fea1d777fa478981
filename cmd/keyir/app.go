package main

import "context"
import "fmt"
import "io"
import "os"
import "os/user"
import "strings"

import "github.com/urfave/cli/v2"
import "golang.org/x/term"

import "github.com/keyir/keyir/console"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/render"

// env is everything a command reads from the world, injectable for tests.
type env struct {
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	// tty says whether stderr is a terminal (live step list), and width its
	// columns; outTTY whether stdout is one (colour in the summary).
	tty    bool
	outTTY bool
	width  int
}

func osEnv() env {
	return env{
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		getenv:   os.Getenv,
		readFile: readSmallFile,
		tty:      term.IsTerminal(int(os.Stderr.Fd())),
		outTTY:   term.IsTerminal(int(os.Stdout.Fd())),
		width:    termWidth(),
	}
}

func termWidth() int {
	w, _, err := term.GetSize(int(os.Stderr.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// app is one invocation of keyir. Every byte it writes to stdout or stderr
// passes through the redactor, which knows every credential and leaked key
// the invocation has read.
type app struct {
	env
	red    *redact.Redactor
	out    *redact.Writer
	errOut *redact.Writer
	// notFound is the error of an unknown command or subcommand, recorded by
	// CommandNotFound (which urfave/cli lets return nothing) so run prints it
	// once and exits 2.
	notFound error
	// stdoutBytes counts what reached stdout, stderrLines keeps keyir's
	// messages on stderr (printErrorJSON).
	stdoutBytes *countingWriter
	stderrLines *stderrLines
}

func newApp(e env) *app {
	e.width = resolveWidth(e.getenv, e.width)
	outputColumns.Store(int64(e.width))
	a := &app{env: e, red: redact.New()}
	// Credentials known to the environment are registered up front, so even an
	// error message that quotes one is redacted.
	for _, name := range credentialVars {
		a.red.Add(e.getenv(name))
	}
	a.stdoutBytes = &countingWriter{w: e.stdout}
	a.out = redact.NewWriter(a.red, a.stdoutBytes)
	a.stderrLines = &stderrLines{w: e.stderr}
	a.errOut = redact.NewWriter(a.red, a.stderrLines)
	return a
}

// credentialVars are the secrets keyir reads. Flags never carry them.
var credentialVars = []string{
	"SENDGRID_API_KEY", "SENDGRID_NOTIFY_API_KEY", "SLACK_BOT_TOKEN",
	"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "KEYIR_WEBHOOK_SECRET",
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func (a *app) cli() *cli.App {
	return &cli.App{
		Name:                 "keyir",
		Usage:                "contain a leaked API key, assess it, notify, and keep the evidence",
		Version:              version,
		HideVersion:          false,
		Writer:               a.out,
		ErrWriter:            a.errOut,
		EnableBashCompletion: false,
		// Errors are mapped to exit codes by exitCode, not by urfave/cli.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return flagUsageErr(c.App.Flags, "keyir --help", err)
		},
		Commands: []*cli.Command{
			a.respondCommand(),
			a.runCommand(),
			a.drillCommand(),
			a.resumeCommand(),
			a.eradicateCommand(),
			a.validateCommand(),
			a.playbooksCommand(),
			a.actionsCommand(),
			a.reportCommand(),
			a.inventoryCommand(),
			a.rotateCommand(),
			a.doctorCommand(),
			a.auditCommand(),
			a.simCommand(),
			a.serveCommand(),
			a.versionCommand(),
			a.completionCommand(),
		},
		CommandNotFound: func(c *cli.Context, name string) {
			a.red.AddShapes(name) // a key pasted where the command goes
			if a.notFound == nil {
				a.notFound = unknownCommand(c, name)
			}
		},
	}
}

// run executes the command line and returns the exit code.
func (a *app) run(ctx context.Context, args []string) int {
	// A key (or a cut one) typed anywhere on the command line, as a path, a
	// flag or a command, is registered before anything runs: whatever later
	// quotes the argument (a library's "open …: no such file", a usage
	// error) prints its token.
	for _, arg := range args[min(1, len(args)):] {
		a.red.AddShapes(arg)
	}
	app := a.cli()
	setUsageErrors(app.Commands, "keyir")
	a.describe(app)
	var err error
	if len(args) >= 3 && (args[1] == "help" || args[1] == "h") && args[2] == "exit-codes" {
		err = a.printExitCodes()
	} else {
		err = app.RunContext(ctx, interleave(app.Commands, helpOnly(app.Commands, args)))
	}
	if a.notFound != nil {
		err = a.notFound
	}
	if err == nil && len(args) > 1 && !strings.HasPrefix(args[1], "-") && find(app.Commands, args[1]) == nil && args[1] != "help" && args[1] != "h" {
		err = unknownCommand(nil, args[1])
	}
	code := exitCode(err)
	msg := ""
	if err != nil && !isReported(err) {
		// The last guard of "no error quotes a key": any word of the message
		// shaped like a key (a flag value urfave/cli echoes, a path) is
		// registered, so errOut prints its token.
		msg = err.Error()
		a.red.AddShapes(msg)
		// Redacted before it is clipped, so no cut leaves part of a secret
		// the redactor would not know; clipped so that a huge argument the
		// message quotes does not flood the terminal (and the JSON error);
		// escaped, so a path it quotes cannot drive the terminal.
		msg = render.Escaped(render.ClipWords(a.red.String(msg), maxErrorWord))
		// Every line printed starts "keyir: ": a message may span lines (a
		// list of problems), and a line break inside a quoted path must not
		// start a line that reads like a result ("…: intact").
		fmt.Fprintf(a.errOut, "keyir: %s\n", strings.ReplaceAll(msg, "\n", "\nkeyir: "))
	}
	a.out.Flush()
	if err != nil {
		a.printErrorJSON(app.Commands, args, msg, code)
		a.out.Flush()
	}
	a.errOut.Flush()
	return code
}

// maxErrorWord is the longest word (runes) an error message prints whole:
// room for a long path, not for a megabyte argument.
const maxErrorWord = 300

// setUsageErrors makes a flag error of any command a usage error (exit 2)
// with a suggestion; urfave/cli calls only the command's own OnUsageError.
func setUsageErrors(cmds []*cli.Command, path string) {
	for _, c := range cmds {
		c := c
		help := path + " " + c.Name + " --help"
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return flagUsageErr(c.Flags, help, err) }
		setUsageErrors(c.Subcommands, path+" "+c.Name)
	}
}

// operator names who ran keyir, for run.json. A key pasted into
// KEYIR_OPERATOR is registered, so it is recorded and shown as a token.
func (a *app) operator() string {
	if v := a.getenv("KEYIR_OPERATOR"); v != "" {
		a.red.AddShapes(v)
		return v
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// console is the run's terminal observer on stderr: a live step list on a
// terminal (unless TERM=dumb), plain lines otherwise. NO_COLOR turns off
// colour only (no-color.org), not the live list.
func (a *app) console() *console.Console {
	live := a.liveConsole()
	c := console.New(a.errOut, live, a.width)
	c.SetColor(live && a.getenv("NO_COLOR") == "")
	return c
}
