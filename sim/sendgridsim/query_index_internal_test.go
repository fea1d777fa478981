package sendgridsim

import "fmt"
import "math/rand/v2"
import "slices"
import "testing"
import "time"

// The time index changes how rows are found, never which rows come back:
// for BETWEEN queries (alone, under AND on either side, under OR where it
// bounds nothing, empty intersections) the page equals the one a scan of
// every row gives, row for row, rows added between queries included.
func TestActivityPageIndexEqualsScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	st := NewState()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	add := func(n int) {
		ms := make([]Message, n)
		for i := range ms {
			ms[i] = Message{ID: fmt.Sprint("m", rng.Int()), APIKeyID: []string{"A", "B"}[rng.IntN(2)], Status: "delivered",
				Subuser: []string{"", "", "sub"}[rng.IntN(3)], LastEventTime: t0.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))}
		}
		st.AddMessages(ms...)
	}
	scan := func(acct string, q Query, limit int, salt string) []Message {
		var ms []Message
		for _, m := range st.Messages() {
			if m.Subuser == acct && q.Match(m) {
				ms = append(ms, m)
			}
		}
		shuffle(42, ms, salt)
		return ms[:min(limit, len(ms))]
	}
	ts := func() string {
		return t0.Add(time.Duration(rng.Int64N(int64(50*time.Hour))) - time.Hour).Format(time.RFC3339)
	}
	for round := range 300 {
		if round%50 == 0 {
			add(500)
		}
		a, b := ts(), ts()
		if a > b {
			a, b = b, a
		}
		c, d := ts(), ts()
		if c > d {
			c, d = d, c
		}
		between := fmt.Sprintf(`last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`, a, b)
		other := fmt.Sprintf(`last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`, c, d)
		qs := []string{between, `api_key_id="A" AND ` + between, between + ` AND status="delivered"`,
			between + " AND " + other, between + " OR " + other, `api_key_id="B" OR ` + between, `api_key_id="A"`}
		for _, text := range qs {
			q, err := ParseQuery(text)
			if err != nil {
				t.Fatal(err)
			}
			acct := []string{"", "sub"}[round%2]
			limit := []int{1, 10, 1000}[round%3]
			salt := fmt.Sprint(round, text)
			got, want := st.activityPage(acct, q, limit, 42, salt), scan(acct, q, limit, salt)
			if !slices.EqualFunc(got, want, func(x, y Message) bool { return x.ID == y.ID }) {
				t.Fatalf("%s (account %q, limit %d): index gave %d rows, scan %d, or another order", text, acct, limit, len(got), len(want))
			}
		}
	}
}
