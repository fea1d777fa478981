package simhttp

// Expected is one finding a scenario's ground truth says a complete
// assessment must report: its kind and, where it matters, its subject.
type Expected struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject,omitempty"`
}

// Truth is what every simulator's scenario fixture carries beside the
// world it builds (S: the simulator's state, I: its items): what the leaked
// credential's holder did, the faults along the way, and the ground truth
// of a correct run, which drills score against.
type Truth[S, I any] struct {
	// Attack applies what the holder did that a baseline taken before the
	// leak would not show; a drill saves its baseline first, then applies
	// it. nil when there is nothing to add.
	Attack   func(S)
	Faults   []Fault
	Expected []Expected
	// Containment is the containment status a correct run reports
	// ("confirmed": the credential's own 401 was seen; "revoked_unproven":
	// revoked by id, no secret to prove it with), and ExitCode its exit
	// code. Compared as strings and numbers, so a drill's scorecard needs no
	// knowledge of the report package's constants.
	Containment string
	ExitCode    int
	// Footholds are what the attack left that eradication must remove (each
	// one an item of the run's plan), Legitimate what the account had before
	// and must keep: a drill with --eradicate that removes one of them fails.
	Footholds  []I
	Legitimate []I
}
