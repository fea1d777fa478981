// Command keyir contains a leaked API key and tells its story: it revokes
// exactly that key, proves it dead, assesses what it could do and did, tells
// the right people, and leaves a tamper-evident evidence report.
package main

import "context"
import "fmt"
import "os"
import "os/signal"
import "syscall"
import "time"

import _ "github.com/keyir/keyir/actions/all" // registers every action
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// stopGrace is how long a command has, after the first SIGINT/SIGTERM, to
// stop on its own (an interrupted run records where it stood and seals its
// directory, which takes well under a second). Past it keyir exits anyway
// with exit code 1, as an interrupted run does: whatever it was blocked in,
// a signal ends keyir within 2 seconds, unless a MANIFEST is being written
// (sealGrace).
const stopGrace = 1500 * time.Millisecond

// sealGrace bounds the wait for a MANIFEST being written when stopGrace
// ends (see runstore.AwaitSeals): hashing a run directory takes well under
// it even on a loaded machine.
const sealGrace = 30 * time.Second

func main() {
	// The first SIGINT/SIGTERM cancels the run, which records where it stood
	// and writes a consistent report; a second one kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
		time.Sleep(stopGrace)
		// A run between its journal's seal and its MANIFEST would be left
		// neither verifiable nor resumable: that is finished first (a
		// second signal, handled by the default again, still kills).
		if !runstore.AwaitSeals(0) {
			fmt.Fprintln(os.Stderr, "keyir: interrupted; writing the run's MANIFEST before exiting (a second signal kills keyir now)")
			if runstore.AwaitSeals(sealGrace) {
				// The command returns on its own right after its seal,
				// with the run's exit code (4 when not contained): let it.
				time.Sleep(stopGrace)
			}
		}
		fmt.Fprintf(os.Stderr, "keyir: interrupted, and still busy %v later; exiting\n", stopGrace)
		os.Exit(report.ExitCouldNotRun)
	}()
	e := osEnv()
	// Standard input (`--key -`) is read so that the signal ends a read
	// from a terminal or a pipe that never closes.
	e.stdin = newCtxReader(ctx, os.Stdin)
	a := newApp(e)
	if len(os.Args) > 1 {
		if err := checkCredentialFiles(os.Args[1], e.getenv); err != nil {
			fmt.Fprintf(a.errOut, "keyir: %v\n", err)
			a.errOut.Flush()
			os.Exit(exitCode(err))
		}
	}
	os.Exit(a.run(ctx, os.Args))
}
