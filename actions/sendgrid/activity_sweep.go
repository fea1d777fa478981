package sendgrid

import "math"
import "slices"
import "sort"
import "time"

// The simulator (as the spec) answers Email Activity in no promised order,
// so a capped answer is a sample of the span's messages and nothing in it
// is known complete. Cutting the span at its sample's quantiles into
// parts expected to fit a page costs 3 to 7 times the ideal ceil(N/1000)
// queries: a part holding 4 or 5 sample points (a page's worth when the
// span holds 200,000 messages) varies by half its count, so parts either
// overflow (a wasted query and a re-cut) or come back small.
//
// A sweep lists such a span one window at a time, from its start, each
// window sized to hold about sweepFill of a page from what the windows
// already listed say, which is exact: the message rate of the last window
// listed. The sample still decides where the rate does not hold: when the
// sample's points in the window the rate proposes are far from what the
// learnt count per point expects (a burst or a gap), the window is cut at
// the sample instead. A window that overflows anyway comes back with a
// sample of its own (its count estimated by capture and recapture against
// the span's sample) and is cut at that finer sample's quantile.
// Completeness does not depend on any of this: only windows answered
// below the cap are counted, and the windows tile the span.

// sweepFill is the share of a page a sweep's window is sized to hold
// until the rate's own error is known; then it is sized to stay below
// the cap by three standard deviations of that error (fill), within
// [minFill, maxFill].
const (
	sweepFill = 0.9
	minFill   = 0.75
	maxFill   = 0.97
)

// sweepFirst is how many sample points must lie in the windows listed
// before their count per point is trusted: enough that it is not noise.
const sweepFirst = 30

// firstParts: the first window of a sweep holds a fifth of the span's
// sample. Email Activity allows 6 queries a minute, so after the capped
// first answer 5 more cost no wait: a span of up to about 4,500 messages
// is then listed in 6 queries, a fifth of it at a time (a sweep's first
// window of 30 points, as before, wasted a query on a hundred messages and
// pushed such spans past the minute). A larger span overflows that window
// and is cut at the window's own sample, its count per point learnt as
// its windows are listed (listed).
const firstParts = 5

type sweep struct {
	top    []time.Time     // the span's capped answer: sorted, at the second
	topIDs map[string]bool // its msg_ids, for capture-recapture
	n, k   int             // messages listed, and top points, in windows answered below the cap
	rate   float64         // messages per second of the last window answered below the cap; 0: none yet
	// pred is what the rate said the window being listed would hold (0:
	// it was not cut by the rate); e2, ne sum the squared relative errors
	// of those predictions.
	pred  float64
	e2    float64
	ne    int
	crest float64 // messages per top point, from the last overflow (while k is small)
	// fine: the sample of the last window that overflowed, [fineStart,
	// fineEnd], and the messages one of its points stands for.
	fine                []time.Time
	fineStart, fineEnd  time.Time
	fineScale, capacity float64
	// fn, fk: messages listed, and fine points, in the windows of the fine
	// sample answered below the cap; they correct fineScale, a
	// capture-recapture estimate that a small overlap makes rough.
	fn, fk int
	// free: queries left before the rate limit's window resets, from the
	// last answer's X-RateLimit-Remaining; -1 when not known.
	free int
}

func newSweep(ms []message, times []time.Time, limit int) *sweep {
	sw := &sweep{topIDs: make(map[string]bool, len(ms)), capacity: float64(limit), free: -1}
	for i, m := range ms {
		sw.topIDs[keep(m.MsgID)] = true
		sw.top = append(sw.top, times[i].Truncate(time.Second))
	}
	slices.SortFunc(sw.top, func(a, b time.Time) int { return a.Compare(b) })
	return sw
}

// points counts the sample points of pts (sorted) in [from, to].
func points(pts []time.Time, from, to time.Time) int {
	lo := sort.Search(len(pts), func(i int) bool { return !pts[i].Before(from) })
	hi := sort.Search(len(pts), func(i int) bool { return pts[i].After(to) })
	return max(0, hi-lo)
}

// scale is the messages one top sample point stands for; 0 while unknown.
func (sw *sweep) scale() float64 {
	if sw.k >= sweepFirst {
		return float64(sw.n) / float64(sw.k)
	}
	return sw.crest
}

// cutAt is the end of a window from c holding about j points of pts
// (sorted): the second before the point j places on, or end when fewer
// than j points are left.
func cutAt(pts []time.Time, c, end time.Time, j float64) time.Time {
	i0 := sort.Search(len(pts), func(i int) bool { return !pts[i].Before(c) })
	idx := i0 + int(j)
	if idx >= len(pts) {
		return end
	}
	return pts[idx].Add(-time.Second)
}

// fill is the share of a page to aim a window at.
func (sw *sweep) fill() float64 {
	if sw.ne < 3 {
		return sweepFill
	}
	return math.Min(maxFill, math.Max(minFill, 1-3*math.Sqrt(sw.e2/float64(sw.ne))))
}

// next is the end of the next window of [c, end]: at least c, at most end.
func (sw *sweep) next(c, end time.Time) time.Time {
	sw.pred = 0
	want := sw.fill() * sw.capacity
	clamp := func(b time.Time) time.Time {
		if b.Before(c) {
			return c
		}
		if b.After(end) {
			return end
		}
		return b
	}
	if len(sw.fine) > 0 && !c.After(sw.fineEnd) {
		b := cutAt(sw.fine, c, sw.fineEnd, want/sw.fineScale)
		if c.Equal(sw.fineStart) && !b.Before(sw.fineEnd) {
			b = sw.fineEnd.Add(-time.Second) // that window overflowed: smaller
		}
		return clamp(b)
	}
	s := sw.scale()
	if p, ok := sw.dense(c, end, s); ok {
		return clamp(cutAt(sw.top, c, end, p))
	}
	if sw.rate <= 0 {
		if s > 0 {
			return clamp(cutAt(sw.top, c, end, want/s))
		}
		return clamp(cutAt(sw.top, c, end, math.Max(sweepFirst, float64(len(sw.top)/firstParts))))
	}
	secs := math.Max(1, math.Floor(want/sw.rate))
	b := clamp(c.Add(time.Duration(secs-1) * time.Second))
	sw.pred = sw.rate * (b.Sub(c).Seconds() + 1)
	if s > 0 {
		// The sample disagrees with the rate: a burst or a gap.
		exp := want / s
		if got := float64(points(sw.top, c, b)); math.Abs(got-exp) > 2*math.Sqrt(exp)+2 {
			b = clamp(cutAt(sw.top, c, end, exp))
			sw.pred = 0
		}
	}
	// A rest expected to hold a few messages joins this window rather
	// than cost a query of its own.
	if b.Before(end) {
		rest := sw.rate * end.Sub(b).Seconds()
		if s > 0 {
			rest = math.Max(rest, s*float64(points(sw.top, b.Add(time.Second), end)))
		}
		if rest <= (1-sweepFill)*sw.capacity/2 {
			b = end
			sw.pred = 0
		}
	}
	return b
}

// denseMin is the fewest sample points a window may be cut at by dense:
// with fewer, the sample's own noise (1/sqrt of the points) costs more
// than a rate's error.
const denseMin = 100

// dense: where the span's sample is dense (a small span: a few messages a
// point), the rest of the span [c, end] is cut into the fewest parts of
// equal sample points that each fit the cap at two standard deviations of
// the sample's noise, and dense returns the points of one part. Equal
// parts leave no small last window to cost a query of its own; a rate
// learnt from the first window is biased where that window holds time
// before the first message (the 7-day window around a 36-hour burst).
//
// How many parts: at least enough that each fits on the estimate (fit),
// and as many as make each fit at two standard deviations of the part's
// sampling noise and of the count per point's own (safe) when the queries
// left before the rate limit resets (free) allow them, or when they are
// not known; when free is between the two, free: a query past the
// limit's window waits for the next one (a minute on the live API), so
// the risk of an overflow is worth taking to stay inside it.
func (sw *sweep) dense(c, end time.Time, s float64) (float64, bool) {
	r := points(sw.top, c, end)
	if s <= 0 || r == 0 {
		return 0, false
	}
	fit, safe := 0, 0
	for parts := 1; parts <= r && safe == 0; parts++ {
		p := float64(r) / float64(parts)
		if fit == 0 && s*p <= maxFill*sw.capacity {
			fit = parts
		}
		if s*p*(1+2*math.Sqrt(1/p+1/float64(max(sw.k, 1)))) <= sw.capacity {
			safe = parts
		}
	}
	parts := safe
	if fit > 0 && sw.free >= fit && sw.free < safe {
		parts = sw.free
	}
	if parts == 0 {
		return 0, false
	}
	p := float64(r) / float64(parts)
	return p, p >= denseMin
}

// listed learns from the window [c, b] answered below the cap with n
// messages.
func (sw *sweep) listed(c, b time.Time, n int) {
	sw.n += n
	sw.k += points(sw.top, c, b)
	if sw.pred > 0 {
		e := float64(n)/sw.pred - 1
		sw.e2 += e * e
		sw.ne++
	}
	sw.rate = float64(n) / (b.Sub(c).Seconds() + 1)
	if len(sw.fine) > 0 && !c.After(sw.fineEnd) {
		sw.fn += n
		sw.fk += points(sw.fine, c, b)
		if sw.fk >= sweepFirst {
			sw.fineScale = float64(sw.fn) / float64(sw.fk)
		}
	}
	if !b.Before(sw.fineEnd) {
		sw.fine = nil
	}
	sw.fineStart = time.Time{}
}

// overflowed learns from the window [c, b] answered at the cap: its answer
// is a sample of its messages. Their count is estimated by capture and
// recapture: the span's sample holds k of them, the window's sample
// overlap of those k, so the window holds about k·len(ms)/overlap; never
// less than one page (it overflowed).
func (sw *sweep) overflowed(c, b time.Time, ms []message, times []time.Time) {
	if sw.pred > 0 { // the rate was wrong by at least this much
		e := float64(len(ms))/sw.pred - 1
		sw.e2 += e * e
		sw.ne++
	}
	k := points(sw.top, c, b)
	overlap := 0
	for _, m := range ms {
		if sw.topIDs[m.MsgID] {
			overlap++
		}
	}
	est := float64(k) * float64(len(ms)) / math.Max(1, float64(overlap))
	est = math.Max(est, 1.05*sw.capacity)
	if s := sw.scale(); s > 0 && sw.k >= sweepFirst {
		est = math.Max(est, s*float64(k))
	} else if k > 0 {
		sw.crest = est / float64(k)
	}
	sw.fine = sw.fine[:0]
	for _, t := range times {
		sw.fine = append(sw.fine, t.Truncate(time.Second))
	}
	slices.SortFunc(sw.fine, func(a, b time.Time) int { return a.Compare(b) })
	sw.fineStart, sw.fineEnd = c, b
	sw.fineScale = est / float64(len(ms))
	sw.fn, sw.fk = 0, 0
}
