package actions

// Output groups that several actions return with one meaning. A group is
// declared once so that every action returning it (whatever its provider)
// describes it alike in `keyir actions`, and so that an action's Register
// lists only the outputs that are its own.

// OutputList joins groups of outputs into one new list, in order. It copies:
// the groups are shared, and one registration must never change another's.
func OutputList(groups ...[]Output) []Output {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	out := make([]Output, 0, n)
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// ContainmentOutputs are what a confirm step (the leaked credential polled
// with itself until refused) returns: a playbook's later steps read the
// same names whichever provider's confirm ran.
var ContainmentOutputs = []Output{
	{Name: "confirmed", Type: TypeBool, Description: "the leaked credential was proven dead (refused when it presented itself)"},
	{Name: "polls", Type: TypeInt, Description: "liveness reads made"},
	{Name: "time_to_containment_ms", Type: TypeInt, Description: "from the run's start to the proof (0 when not confirmed)"},
}

// BlastRadiusOutputs rate what a leaked credential may do: its permissions
// grouped by category, and the risk the worst of them carries.
var BlastRadiusOutputs = []Output{
	{Name: "categories", Type: TypeList, Description: "scopes grouped by what they allow: [{category, scopes, write}]"},
	{Name: "risk", Type: TypeString, Description: "critical, high, medium or low (empty or unknown when the credential's permissions could not be read)"},
}

// HumanOutput is the leaked credential's kind in words ("SendGrid API key",
// "GitHub classic personal access token"), as identify steps return it.
var HumanOutput = Output{Name: "human", Type: TypeString, Description: "the kind, for people"}

// FingerprintOutput is how every step that names the leaked credential
// names it: never the secret, a short hash (identify's outputs are what
// reports and notifications read it from).
var FingerprintOutput = Output{Name: "fingerprint", Type: TypeString, Description: "first 8 hex of the SHA-256 of the leaked credential: how reports name it"}

// StatusOutput is a liveness step's verdict on the leaked credential, asked
// with itself: StatusLive, StatusDead or StatusUnknown, whatever the
// provider, so later steps and the report read one vocabulary.
var StatusOutput = Output{Name: "status", Type: TypeString, Description: StatusLive + ", " + StatusDead + " or " + StatusUnknown}

// The liveness statuses.
const (
	StatusLive    = "live"
	StatusDead    = "dead"
	StatusUnknown = "unknown"
)

// AssessedOutput is how an assessment step says whether it could read what
// it assesses (a log, an organization): false is not assessable, never
// "nothing found", and the step says why in a finding or a note.
var AssessedOutput = Output{Name: "assessed", Type: TypeBool, Description: "what the step reads was read; false: not assessable, and a finding or note says why"}

// PlannedOutput is how a step that changes something says a dry run
// refused its requests at the transport (recorded as planned changes).
var PlannedOutput = Output{Name: "planned", Type: TypeBool, Description: "dry run: the requests were refused at the transport and recorded as planned"}
