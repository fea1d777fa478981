package sendgrid

import "math/rand/v2"
import "testing"

// hashSet counts what a map counts: hashes that share a slot's start,
// runs that wrap around the table's end, zero, repeats, growth.
func TestHashSetCountsLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 7))
	for _, n := range []int{0, 1, 767, 768, 769, 5000, 100000} {
		var s hashSet
		m := map[uint64]bool{}
		for i := range n {
			var h uint64
			switch i % 5 {
			case 0:
				h = rng.Uint64()
			case 1:
				h = uint64(rng.IntN(n + 1)) // small values: repeats, zero
			case 2:
				h = uint64(rng.IntN(64)) << 58 // one slot's start for many
			default:
				h = fnv64a(string(rune('a' + rng.IntN(26))))
			}
			s.add(h)
			m[h] = true
			if s.len() != len(m) {
				t.Fatalf("n=%d after %d adds: %d hashes, want %d", n, i+1, s.len(), len(m))
			}
		}
	}
}
