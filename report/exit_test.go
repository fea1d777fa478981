package report

import "testing"
import "time"

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		500 * time.Microsecond:                "500µs",
		350 * time.Millisecond:                "350ms",
		1200 * time.Millisecond:               "1.2s",
		59*time.Second + 940*time.Millisecond: "59.9s",
		125 * time.Second:                     "2m05s",
		time.Hour + 4*time.Minute:             "1h04m",
		// One rounding rule, to the nearest unit shown: the drill's
		// scorecard once said 101ms where the summary said 100ms.
		100*time.Millisecond + 600*time.Microsecond:            "101ms",
		100*time.Millisecond + 400*time.Microsecond:            "100ms",
		999*time.Microsecond + 600*time.Nanosecond:             "1ms",
		999*time.Millisecond + 600*time.Microsecond:            "1.0s",
		59*time.Second + 960*time.Millisecond:                  "1m00s",
		59*time.Minute + 59*time.Second + 600*time.Millisecond: "1h00m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// A duration given as a number of milliseconds (JSON) is the number the
// text shows.
func TestDurationMSAgreesWithFormatDuration(t *testing.T) {
	for _, d := range []time.Duration{
		100*time.Millisecond + 600*time.Microsecond,
		100*time.Millisecond + 499*time.Microsecond,
		7*time.Millisecond + 500*time.Microsecond,
		998*time.Millisecond + 501*time.Microsecond,
	} {
		ms := DurationMS(d)
		if got, want := FormatDuration(d), time.Duration(ms)*time.Millisecond; got != FormatDuration(want) {
			t.Errorf("%v: FormatDuration %q, but DurationMS %d (%q)", d, got, ms, FormatDuration(want))
		}
	}
}

func TestExitMeaning(t *testing.T) {
	for code, want := range map[int]string{
		0: "done", 1: "could not run", 2: "bad usage or invalid playbook",
		3: "finished with failed non-critical steps", 4: "containment not confirmed (the key may still be live)",
		9: "unknown exit code",
	} {
		if got := ExitMeaning(code); got != want {
			t.Errorf("ExitMeaning(%d) = %q, want %q", code, got, want)
		}
	}
	for i, e := range ExitCodes() {
		if e.Code != i || e.Meaning == "" || e.When == "" {
			t.Errorf("exit code table entry %d: %+v", i, e)
		}
	}
}
