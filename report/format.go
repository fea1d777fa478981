package report

import "strconv"
import "strings"

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

// Plural picks the word for n: one when n is 1, else many ("1 poll", "2
// polls", "0 polls"). The one plural rule of every screen and message.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Count is n, grouped as FormatCount does, with its noun: "1 scope",
// "4,210 messages".
func Count(n int, one, many string) string {
	return FormatCount(int64(n)) + " " + Plural(n, one, many)
}
