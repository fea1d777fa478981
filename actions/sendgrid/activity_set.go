package sendgrid

// hashSet is the set of the recipients' 64-bit hashes (tally.recipients):
// open addressing, linear probing, at most three quarters full. A 200,000-
// message run adds 200,000 hashes of 150,000 recipients; a map[uint64]struct{}
// took twice the time (its probes missing the cache) and twice the memory
// (throwaway benchmark, 2026-12-02: 21–31 ms against 13–15 ms, 9.5 against
// 4.2 MB).
type hashSet struct {
	slots []uint64 // 0 is an empty slot; the hash 0 is kept in zero
	n     int      // hashes in slots
	zero  bool
}

// add puts h in the set.
func (s *hashSet) add(h uint64) {
	if h == 0 {
		s.zero = true
		return
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	// FNV-1a's low bits vary little between similar names: a
	// multiplicative mix spreads them over the table.
	for i := (h * 0x9E3779B97F4A7C15 >> 32) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return
		case h:
			return
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots, s.n = make([]uint64, max(1024, 2*len(old))), 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}

// len is the number of distinct hashes added.
func (s *hashSet) len() int {
	if s.zero {
		return s.n + 1
	}
	return s.n
}
