package redact

import "bytes"
import "regexp"
import "sort"
import "strings"
import "unsafe"

// Partial matches: a secret of LongSecret bytes or more is also redacted
// wherever Gram or more of its consecutive bytes appear (an upstream that
// echoes "SG.abc…xyz" cut to a prefix or suffix, a log line truncated in the
// middle of a key). Shorter secrets are matched whole only: twelve characters
// of a nine-character password would be the password.
const (
	Gram       = 12
	LongSecret = 20
)

// minShape is the shortest credential shape patterns match (xoxb- and ten
// more): decoded content shorter than that cannot hold one.
const minShape = 15

type secretEntry struct {
	s     string
	token string
}

type gramRef struct{ sec, off int32 }

// index is the matching state for one set of secrets, rebuilt by Add (rare)
// and read without locks by every scan (hot: every HTTP exchange's evidence).
type index struct {
	short []secretEntry // MinLength..LongSecret-1 bytes: matched whole
	long  []secretEntry // LongSecret bytes or more: any Gram-byte run
	// grams maps the rolling hash of every Gram-byte window of the long
	// secrets to where it occurs; filter is a 64 Kbit summary of the hashes
	// so that most windows of ordinary text are rejected with one load.
	grams  map[uint64][]gramRef
	filter []uint64
	// inLong: the bytes that occur in a long secret.
	inLong [256]bool
	// minMaterial is the fewest decoded bytes that can hold a match.
	minMaterial int
	// gen is the Redactor's generation this index was built for.
	gen uint64
}

const (
	hashBase = 1099511628211
	hashMix  = 0x9E3779B97F4A7C15
)

var hashPow = func() uint64 { // hashBase^(Gram-1)
	p := uint64(1)
	for range Gram - 1 {
		p *= hashBase
	}
	return p
}()

func gramHash(b []byte) uint64 {
	var h uint64
	for _, c := range b[:Gram] {
		h = h*hashBase + uint64(c)
	}
	return h
}

func filterBit(h uint64) uint64 { return (h * hashMix) >> 48 }

// publicIDs finds the public parts of a secret: each "SG.<key id>." of a
// SendGrid key in it (reports name a key by its id). A registered value may
// hold a key after other text (an operator field "alice:SG.…" or a quoted
// YAML word registered by AddShapes), so they are looked for anywhere.
var publicIDs = regexp.MustCompile(`SG\.[A-Za-z0-9_-]{22}\.`)

// skipWindows marks the Gram-byte windows of s that may not be matched alone:
// those that end inside a public part or at its end (the id itself, or the
// text before a key id and the id's first bytes). A window that goes on
// past the id holds bytes of the secret and is matched: "…Uv.CANARYlea" is
// twelve consecutive characters of the key.
func skipWindows(s string) []bool {
	locs := publicIDs.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return nil
	}
	out := make([]bool, len(s))
	for _, l := range locs {
		for k := max(0, l[0]-Gram+1); k <= l[1]-Gram; k++ {
			out[k] = true
		}
	}
	return out
}

func buildIndex(set map[string]bool, gen uint64) *index {
	all := make([]string, 0, len(set))
	for s := range set {
		all = append(all, s)
	}
	// Longest first, so that a secret containing another wins a tie.
	sort.Slice(all, func(i, j int) bool {
		if len(all[i]) != len(all[j]) {
			return len(all[i]) > len(all[j])
		}
		return all[i] < all[j]
	})
	ix := &index{grams: map[uint64][]gramRef{}, filter: make([]uint64, 1<<16/64), minMaterial: minShape, gen: gen}
	for _, s := range all {
		e := secretEntry{s: s, token: Token(s)}
		skip := skipWindows(s)
		if len(s) < LongSecret || !anyWindow(s, skip) {
			// Matched whole: too short for partial matches, or (a key cut
			// short after its id, a word around one) every window is public.
			ix.short = append(ix.short, e)
			ix.minMaterial = min(ix.minMaterial, len(s))
			continue
		}
		n := int32(len(ix.long))
		ix.long = append(ix.long, e)
		for k := 0; k < len(s); k++ {
			ix.inLong[s[k]] = true
		}
		ix.minMaterial = min(ix.minMaterial, Gram)
		for off := 0; off+Gram <= len(s); off++ {
			if skip != nil && skip[off] {
				continue
			}
			h := gramHash([]byte(s[off:]))
			ix.grams[h] = append(ix.grams[h], gramRef{n, int32(off)})
			bit := filterBit(h)
			ix.filter[bit>>6] |= 1 << (bit & 63)
		}
	}
	return ix
}

// anyWindow reports whether s has a Gram-byte window skip allows.
func anyWindow(s string, skip []bool) bool {
	for off := 0; off+Gram <= len(s); off++ {
		if skip == nil || !skip[off] {
			return true
		}
	}
	return false
}

// span is a byte range of the original text to replace with token.
type span struct {
	start, end int
	token      string
}

// find returns the ranges of s to redact. ix may be nil (nothing registered):
// credential shapes are still found, raw and encoded.
func (ix *index) find(s string) []span {
	if len(s) == 0 {
		return nil
	}
	// Read-only view of s: nothing below writes to b.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	var out []span
	add := func(maps []*escMap) func(int, int, string) bool {
		return func(st, en int, tok string) bool {
			for i := len(maps) - 1; i >= 0; i-- {
				st, en = maps[i].span(st, en)
			}
			out = append(out, span{st, en, tok})
			return false
		}
	}
	// Layer 0: the text as it is.
	ix.scanMaterial(b, add(nil))
	scanShapes(b, add(nil))
	// Layer 1: URL, JSON, \x and HTML-entity escapes undone (up to three
	// times: a value escaped by an API, stored as a JSON string in the
	// evidence, and shown in a page or a JSON report).
	layer, maps := b, []*escMap(nil)
	for pass := 0; pass < 3 && mayHoldEscape(layer); pass++ {
		d, m, changed := unescape(layer)
		if !changed {
			break
		}
		layer, maps = d, append(maps, m)
		ix.scanMaterial(layer, add(maps))
		scanShapes(layer, add(maps))
	}
	// Layer 2: base64 and hex runs of the last layer, decoded.
	ix.scanRuns(layer, add(maps))
	return out
}

// mayHoldEscape is bytes.ContainsAny(b, `%\&`) by three searches for one
// byte each, which are vectorised: ContainsAny tested each byte against
// the set (0.14 ms of an Email Activity answer's redaction, which holds
// none of the three).
func mayHoldEscape(b []byte) bool {
	return bytes.IndexByte(b, '\\') >= 0 || bytes.IndexByte(b, '%') >= 0 || bytes.IndexByte(b, '&') >= 0
}

// scanMaterial calls emit for every registered secret in b and every run of
// Gram or more bytes of a long one (extended as far as it matches). emit
// returning true stops the scan.
func (ix *index) scanMaterial(b []byte, emit func(st, en int, tok string) bool) {
	if ix == nil {
		return
	}
	for _, sec := range ix.short {
		for off := 0; off < len(b); {
			k := bytes.Index(b[off:], unsafe.Slice(unsafe.StringData(sec.s), len(sec.s)))
			if k < 0 {
				break
			}
			if emit(off+k, off+k+len(sec.s), sec.token) {
				return
			}
			off += k + len(sec.s)
		}
	}
	if len(ix.long) == 0 || len(b) < Gram {
		return
	}
	// Only a run of Gram or more bytes that all occur in some long secret
	// can hold one of its Gram-byte windows: the rolling hash runs over
	// those runs alone (ordinary JSON is broken up by quotes, colons and
	// spaces every few bytes). A match and its extension never cross a
	// byte outside the set, so the matches are those of a scan of all b.
	// firstRun crosses the runs shorter than Gram a window at a time
	// (FuzzScanMaterialEqualsReference holds it to the scan of every window).
	for lo := 0; lo < len(b); {
		lo = firstRun(b, lo, Gram, &ix.inLong)
		hi := lo
		for hi < len(b) && ix.inLong[b[hi]] {
			hi++
		}
		if hi-lo >= Gram && ix.scanGrams(b, lo, hi, emit) {
			return
		}
		lo = hi
	}
}

// scanGrams is scanMaterial's search for Gram-byte windows of the long
// secrets in b[lo:hi], every byte of which is in inLong; it returns true
// when emit asked to stop.
func (ix *index) scanGrams(b []byte, lo, hi int, emit func(st, en int, tok string) bool) bool {
	i := lo
	h := gramHash(b[lo:])
	for {
		if bit := filterBit(h); ix.filter[bit>>6]&(1<<(bit&63)) != 0 {
			bestL, bestR, tok := -1, 0, ""
			for _, ref := range ix.grams[h] {
				sec, off := ix.long[ref.sec].s, int(ref.off)
				if string(b[i:i+Gram]) != sec[off:off+Gram] {
					continue
				}
				l := 0
				for i-l > 0 && off-l > 0 && b[i-l-1] == sec[off-l-1] {
					l++
				}
				r := 0
				for i+Gram+r < len(b) && off+Gram+r < len(sec) && b[i+Gram+r] == sec[off+Gram+r] {
					r++
				}
				if bestL < 0 || l+r > bestL+bestR {
					bestL, bestR, tok = l, r, ix.long[ref.sec].token
				}
			}
			if bestL >= 0 {
				if emit(i-bestL, i+Gram+bestR, tok) {
					return true
				}
				i += Gram + bestR
				if i+Gram > hi {
					return false
				}
				h = gramHash(b[i:])
				continue
			}
		}
		if i+Gram >= hi {
			return false
		}
		h = (h-uint64(b[i])*hashPow)*hashBase + uint64(b[i+Gram])
		i++
	}
}

// shapePrefixes are the fixed starts of patterns: a cheap test that skips
// the regular expression for almost all text.
var shapePrefixes = [][]byte{[]byte("SG."), []byte("xox"), []byte("xapp-"), []byte("gh"), []byte("github_pat_")}

func mayHoldShape(b []byte) bool {
	for _, p := range shapePrefixes {
		if i := bytes.Index(b, p); i >= 0 {
			if p[0] != 'g' || len(p) > 2 {
				return true
			}
			// "gh" is common: look for gh?_ at any occurrence.
			for j := i; j >= 0 && j+3 < len(b); {
				if b[j+3] == '_' && strings.IndexByte("pousr", b[j+2]) >= 0 {
					return true
				}
				k := bytes.Index(b[j+1:], p)
				if k < 0 {
					break
				}
				j += 1 + k
			}
		}
	}
	return false
}

func scanShapes(b []byte, emit func(st, en int, tok string) bool) {
	if scanExtra(b, emit) || !mayHoldShape(b) {
		return
	}
	for _, loc := range patterns.FindAllIndex(b, -1) {
		if emit(loc[0], loc[1], Token(string(b[loc[0]:loc[1]]))) {
			return
		}
	}
}

// foundDepth is found that also looks depth levels deeper, into the base64
// and hex runs of b (base64 of base64, hex of base64).
func (ix *index) foundDepth(b []byte, depth int) (string, bool) {
	tok, ok := "", false
	ix.scanMaterial(b, func(_, _ int, t string) bool { tok, ok = t, true; return true })
	if !ok {
		scanShapes(b, func(_, _ int, t string) bool { tok, ok = t, true; return true })
	}
	if !ok && depth > 0 {
		ix.scanRunsDepth(b, func(_, _ int, t string) bool { tok, ok = t, true; return true }, depth-1)
	}
	return tok, ok
}

// apply replaces spans of s (in any order, possibly overlapping) with their
// tokens. Overlapping spans merge; the merged range takes the token of its
// longest part, so a secret containing another is named as itself.
func apply(s string, spans []span) string {
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end > spans[j].end
	})
	var out strings.Builder
	out.Grow(len(s))
	last := 0
	for i := 0; i < len(spans); {
		st, en, tok, best := spans[i].start, spans[i].end, spans[i].token, spans[i].end-spans[i].start
		j := i + 1
		for ; j < len(spans) && spans[j].start < en; j++ {
			en = max(en, spans[j].end)
			if l := spans[j].end - spans[j].start; l > best {
				best, tok = l, spans[j].token
			}
		}
		st = max(st, last)
		out.WriteString(s[last:st])
		out.WriteString(tok)
		last = max(last, en)
		i = j
	}
	out.WriteString(s[last:])
	return out.String()
}
