// Package runstore owns a run's directory on disk: run.json, the
// append-only, hash-chained journal, the evidence files, the chained
// MANIFEST that seals a finished run, the checks resume makes before it
// writes (sealed, tampered, locked), and loading a run back for display.
// Everything it writes has already passed through the run's redactor; how a
// report looks is the renderers' business (Finish is given them).
package runstore
