// Command keyir contains a leaked API key and tells its story: it revokes
// exactly that key, proves it dead, assesses what it could do and did, tells
// the right people, and leaves a tamper-evident evidence report.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/keyir/keyir/actions/all" // registers every action
)

func main() {
	// The first SIGINT/SIGTERM cancels the run, which records where it stood
	// and writes a consistent report; a second one kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(newApp(osEnv()).run(ctx, os.Args))
}
