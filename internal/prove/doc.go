// Package prove holds keyir's cross-cutting evidence that it holds under
// faults: the fault matrix (every step of sendgrid-key-compromise × every
// fault the simulators inject), and the harness it shares with the other
// proofs. It has no code of its own outside tests; see the *_test.go files
// and BENCHMARKS.md at the repository root.
package prove
