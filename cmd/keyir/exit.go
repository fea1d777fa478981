package main

import "errors"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/safefile"

// exitError carries an exit code; it is the only way a command chooses one.
type exitError struct {
	code int
	err  error
	// reported: the command already printed what went wrong.
	reported bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return "exit status"
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: report.ExitUsage, err: err} }

// withCode ends the command with code after it has printed its own output.
func withCode(code int) error { return &exitError{code: code, reported: true} }

// exitCode maps an error to the documented exit codes, in this one place:
// 0 done, 1 could not run, 2 bad usage or invalid playbook, 3 finished with
// failed non-critical steps, 4 containment not confirmed.
//
// A command cut short by SIGINT/SIGTERM ends 1, like an interrupted run
// (`keyir resume` continues a run). A file keyir refuses to read (a link, a
// FIFO or device, over its size cap) is bad usage, 2; so is resuming a
// sealed run. A run directory that is not as its journal recorded it is 1.
func exitCode(err error) int {
	if err == nil {
		return report.ExitDone
	}
	if isSignal(err) {
		return report.ExitCouldNotRun
	}
	var sealed *runstore.SealedError
	var refused *safefile.Error
	if errors.As(err, &sealed) || errors.As(err, &refused) {
		return report.ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue *playbook.UsageError
	var probs playbook.Problems
	if errors.As(err, &ue) || errors.As(err, &probs) {
		return report.ExitUsage
	}
	return report.ExitCouldNotRun
}

func isReported(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.reported
}
