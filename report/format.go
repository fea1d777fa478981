package report

import (
	"strconv"
	"strings"
)

// FormatCount writes an integer with its thousands grouped by commas (4210 as
// "4,210", -1234567 as "-1,234,567"): the one number format of the findings
// and of the HTML report, so a count reads the same in both.
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
