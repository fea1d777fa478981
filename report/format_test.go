package report

import "math"
import "testing"

func TestFormatCountGroupsThousands(t *testing.T) {
	for n, want := range map[int64]string{
		0:             "0",
		7:             "7",
		999:           "999",
		1000:          "1,000",
		4210:          "4,210",
		100000:        "100,000",
		1234567:       "1,234,567",
		-1234567:      "-1,234,567",
		-999:          "-999",
		math.MinInt64: "-9,223,372,036,854,775,808",
	} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
