package sendgridsim

import "github.com/keyir/keyir/sim/simhttp"

// Fault is an injected failure (simhttp.Fault: Method, Route as in
// Config.Limits such as "GET /v3/scopes", After, Times, Kind, Status,
// RetryAfter, Latency).
type Fault = simhttp.Fault

// FaultKind is what an injected fault does to a request.
type FaultKind = simhttp.FaultKind

// The kinds of fault (simhttp's).
const (
	FaultStatus   = simhttp.FaultStatus // Fault.Status (default 500) with a SendGrid error body
	FaultTimeout  = simhttp.FaultTimeout
	FaultReset    = simhttp.FaultReset
	FaultTruncate = simhttp.FaultTruncate
	FaultLatency  = simhttp.FaultLatency
)

// MaxHang bounds a FaultTimeout.
const MaxHang = simhttp.MaxHang
