package redact

import "bytes"
import "html"
import "unicode/utf8"

// escMap maps a decoded layer back to the text it was decoded from. It lists
// only the escapes (decoded start and length, source start and length):
// between them the two texts differ by a constant offset, so the map costs
// nothing for text without escapes.
type escMap struct {
	d, dn, o, on []int32
	n            int // length of the source text
}

// pos finds the source offset of decoded byte p and whether p is inside an
// escape (then the offset is the escape's start and end its end).
func (m *escMap) pos(p int) (start, end int) {
	// Last escape with d <= p.
	lo, hi := 0, len(m.d)
	for lo < hi {
		mid := (lo + hi) / 2
		if int(m.d[mid]) <= p {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return p, p + 1
	}
	k := lo - 1
	d, dn, o, on := int(m.d[k]), int(m.dn[k]), int(m.o[k]), int(m.on[k])
	if p < d+dn {
		return o, o + on
	}
	q := o + on + (p - d - dn)
	return q, q + 1
}

// span maps a decoded range to the smallest source range that produced it.
func (m *escMap) span(st, en int) (int, int) {
	s, _ := m.pos(st)
	_, e := m.pos(en - 1)
	return s, min(e, m.n)
}

// unescape undoes, in one pass, the escapes a secret picks up on its way into
// a URL, a JSON string, a script or a web page: %XX, \uXXXX (with surrogate
// pairs), \xXX, the JSON one-letter escapes, and HTML character references
// (&#83; &#x53; &period; …). changed is false when nothing that can spell a
// secret's character was decoded (a JSON text whose only escapes are \" and
// \n needs no second look; an escaped backslash does count, as it may hide
// an escape of the next level).
func unescape(b []byte) (out []byte, m *escMap, changed bool) {
	out = make([]byte, 0, len(b))
	m = &escMap{n: len(b)}
	esc := func(at, n int, p ...byte) {
		m.d = append(m.d, int32(len(out)))
		m.dn = append(m.dn, int32(len(p)))
		m.o = append(m.o, int32(at))
		m.on = append(m.on, int32(n))
		out = append(out, p...)
	}
	var rb [utf8.UTFMax]byte
	for i := 0; i < len(b); {
		k := bytes.IndexAny(b[i:], `%\&`)
		if k < 0 {
			out = append(out, b[i:]...)
			break
		}
		out = append(out, b[i:i+k]...)
		i += k
		switch c := b[i]; c {
		case '%':
			if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
				esc(i, 3, unhex(b[i+1])<<4|unhex(b[i+2]))
				i += 3
				changed = true
				continue
			}
		case '\\':
			if i+1 >= len(b) {
				break
			}
			switch e := b[i+1]; e {
			case 'u':
				if r, ok := hexRune(b[i+2:], 4); ok {
					n := 6
					if r >= 0xD800 && r < 0xDC00 && i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
						if lo, ok := hexRune(b[i+8:], 4); ok && lo >= 0xDC00 && lo < 0xE000 {
							r, n = 0x10000+(r-0xD800)<<10+(lo-0xDC00), 12
						}
					}
					esc(i, n, rb[:utf8.EncodeRune(rb[:], r)]...)
					i += n
					changed = true
					continue
				}
			case 'x':
				if r, ok := hexRune(b[i+2:], 2); ok {
					esc(i, 4, byte(r))
					i += 4
					changed = true
					continue
				}
			case '/':
				esc(i, 2, '/')
				i += 2
				changed = true
				continue
			case '"', '\\', '\'':
				esc(i, 2, e)
				i += 2
				// An escaped backslash may hide an escape one level down
				// (JSON in a JSON string: \\u0053): worth another pass.
				changed = changed || e == '\\'
				continue
			case 'n', 'r', 't', 'b', 'f':
				esc(i, 2, jsonControl(e))
				i += 2
				continue
			}
		case '&':
			if n, repl := htmlRef(b[i:]); n > 0 {
				esc(i, n, []byte(repl)...)
				i += n
				changed = true
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out, m, changed
}

func jsonControl(e byte) byte {
	switch e {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	}
	return '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// hexRune reads exactly n hex digits.
func hexRune(b []byte, n int) (rune, bool) {
	if len(b) < n {
		return 0, false
	}
	var r rune
	for _, c := range b[:n] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// htmlRef decodes the character reference at the start of b ("&…"): numeric
// (decimal or hex, the ';' optional as browsers allow) or named (any HTML5
// name, ';' required). It returns how many bytes it used, or 0.
func htmlRef(b []byte) (int, string) {
	if len(b) < 3 {
		return 0, ""
	}
	if b[1] == '#' {
		i, base := 2, rune(10)
		if b[2] == 'x' || b[2] == 'X' {
			i, base = 3, 16
		}
		var r rune
		digits := 0
		for ; i < len(b) && digits < 8; i++ {
			c := b[i]
			var d rune
			switch {
			case c >= '0' && c <= '9':
				d = rune(c - '0')
			case base == 16 && isHex(c):
				d = rune(unhex(c))
			default:
				d = -1
			}
			if d < 0 {
				break
			}
			r = r*base + d
			digits++
		}
		if digits == 0 || r <= 0 || r > utf8.MaxRune {
			return 0, ""
		}
		if i < len(b) && b[i] == ';' {
			i++
		}
		return i, string(r)
	}
	for i := 1; i < len(b) && i <= 33; i++ {
		c := b[i]
		if c == ';' && i > 1 {
			ref := string(b[:i+1])
			if s := html.UnescapeString(ref); s != ref {
				return i + 1, s
			}
			return 0, ""
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return 0, ""
		}
	}
	return 0, ""
}

// b64 maps both base64 alphabets (standard +/ and URL -_) to their values;
// 0xFF marks a byte that is not base64.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// scanRuns finds runs of base64 and of hex characters in b, decodes each at
// every alignment (the run may begin mid-quantum: base64 of "user:S" holds S
// shifted by the user's length) and reports a whole run that decodes to
// something holding a secret or a credential shape. Padding ends a run, so
// padded and unpadded encodings are the same case. A base64 run broken into
// lines (MIME's 76 columns, PEM's 64, with the line break raw or
// JSON-escaped) is decoded as one run: a secret cut by a line break has
// fewer than Gram bytes on one side. What a run decodes to is itself
// searched for base64 and hex runs, once (an encoding of an encoding).
func (ix *index) scanRuns(b []byte, emit func(st, en int, tok string) bool) {
	ix.scanRunsDepth(b, emit, 1)
}

// minLine is the shortest base64 line joined to the next one (MIME writes
// 76, PEM 64): shorter pieces of text broken by newlines are words, not an
// encoded body, and joining them would only cost time.
const minLine = 40

func (ix *index) scanRunsDepth(b []byte, emit func(st, en int, tok string) bool, depth int) {
	minMat := minShape
	if ix != nil {
		minMat = ix.minMaterial
	}
	minB64 := minMat * 4 / 3
	minHex := 2 * minMat
	// A run shorter than this is neither decoded, nor searched for hex,
	// nor joined to the next line: the loop below would only step over it.
	least := min(minB64, minHex, minLine)
	var scratch, joined []byte
	for i := 0; i < len(b); {
		// Straight to the next run that long (JSON text is words of a few
		// bytes; stepping over each cost more than the rest of the scan).
		// i stays a position the loop reaches (FuzzScanRunsEqualsWalk).
		if k := firstRun(b, i, least, &isB64); k != i {
			i = k
			continue
		}
		if b64[b[i]] == 0xFF {
			i++
			continue
		}
		// The letter of a JSON escape (\n, \r, \t) before a run is not part
		// of it: a MIME body in a JSON string starts after "\r\n".
		if i > 0 && b[i-1] == '\\' && bytes.IndexByte([]byte("nrtbf"), b[i]) >= 0 {
			i++
			continue
		}
		// The run, possibly over several lines; joined holds its
		// characters without the line breaks when there are any.
		j, line := i, i
		joined = joined[:0]
		for {
			for j < len(b) && b64[b[j]] != 0xFF {
				j++
			}
			n := lineBreak(b[j:])
			if n == 0 || j-line < minLine || (j-line)%4 != 0 || j+n >= len(b) || b64[b[j+n]] == 0xFF {
				break
			}
			joined = append(joined, b[line:j]...)
			if j-line >= minHex {
				ix.hexRuns(b[line:j], line, minHex, &scratch, emit, depth)
			}
			j += n
			line = j
		}
		run := b[i:j]
		if len(joined) > 0 {
			joined = append(joined, b[line:j]...)
			run = joined
		}
		if len(run) >= minB64 {
			for align := 0; align < 4 && len(run)-align >= minB64; align++ {
				scratch = decodeB64(scratch[:0], run[align:])
				if tok, ok := ix.foundDepth(scratch, depth); ok {
					if emit(i, j, tok) {
						return
					}
					break
				}
			}
		}
		// A hex run inside this line is no longer than the line: most
		// lines (words of ordinary text) are too short to hold one.
		if j-line >= minHex {
			ix.hexRuns(b[line:j], line, minHex, &scratch, emit, depth)
		}
		// Hex broken into lines (xxd -p writes 60 digits a line).
		if len(joined) >= minHex && allHex(joined) {
			for align := 0; align < 2; align++ {
				scratch = decodeHex(scratch[:0], joined[align:])
				if tok, ok := ix.foundDepth(scratch, depth); ok {
					if emit(i, j, tok) {
						return
					}
					break
				}
			}
		}
		i = j
	}
	ix.spacedHex(b, minHex, emit, depth)
}

// firstRun is where the first run of n or more bytes of the set in
// begins in b[from:] (a run may begin at from), len(b) when there is none.
// It reads the last byte of each n-byte window first: a byte outside the
// set there rules out every run beginning in the window, so text of short
// words is crossed a window at a time.
func firstRun(b []byte, from, n int, in *[256]bool) int {
	for i := from; i+n <= len(b); {
		if !in[b[i+n-1]] {
			i += n
			continue
		}
		s := i + n - 1
		for s > i && in[b[s-1]] {
			s--
		}
		e := i + n
		for e < s+n && e < len(b) && in[b[e]] {
			e++
		}
		if e == s+n {
			return s
		}
		if e == len(b) {
			break
		}
		// b[e] is outside the set and b[s-1] (when s > i) too: no run
		// of n begins before e+1.
		i = e + 1
	}
	return len(b)
}

// isB64 is b64 as a set: the bytes of either base64 alphabet.
var isB64 = func() (t [256]bool) {
	for c := range t {
		t[c] = b64[c] != 0xFF
	}
	return t
}()

// spacedHex finds hex dumps: groups of an even number of hex digits
// separated by one space or colon ("53 47 2e", "5347 2e56", "53:47:2e"),
// as hexdump, xxd and certificate tools print bytes, and decodes each
// sequence of two or more groups joined.
//
// A sequence that can be reported lies in a stretch of hex digits, spaces
// and colons holding a separator and at least minHex+1 bytes; JSON text
// has few (its colons sit between quotes), yet walking it a byte at a
// time cost a quarter of the transport's redaction of an Email Activity
// answer. So the walk below runs only around such stretches (found a
// window at a time by firstRun): it starts
// at a byte it would have reached anyway (the text's start, or just after
// a byte that is neither a word byte nor a separator, which no step of
// the walk jumps over) and stops at the first such byte past the stretch,
// so it takes there exactly the steps a walk over all of b takes
// (FuzzSpacedHexEqualsWalk holds the two to the same reports).
func (ix *index) spacedHex(b []byte, minHex int, emit func(st, en int, tok string) bool, depth int) {
	if !bytes.ContainsAny(b, " :") {
		return
	}
	var joined, scratch []byte
	for pos := 0; pos < len(b); {
		lo, hi := dumpStretch(b, pos, minHex+1)
		if lo < 0 {
			return
		}
		i := lo
		for i > pos && !resumes[b[i-1]] {
			i--
		}
		for i < len(b) && (i < hi || !resumes[b[i]]) {
			if c := b[i]; !wordBytes[c] {
				i++
				continue
			} else if !isHex(c) || (i > 0 && wordBytes[b[i-1]]) {
				// A group starts a word: skip the rest of this one at once.
				for i++; i < len(b) && wordBytes[b[i]]; i++ {
				}
				continue
			}
			start, groups := i, 0
			joined = joined[:0]
			end := i
			for {
				k := i
				for k < len(b) && isHex(b[k]) {
					k++
				}
				if (k-i)%2 != 0 || (k < len(b) && isWordByte(b[k])) {
					break
				}
				joined = append(joined, b[i:k]...)
				groups++
				end = k
				if k+1 < len(b) && (b[k] == ' ' || b[k] == ':') && isHex(b[k+1]) {
					i = k + 1
					continue
				}
				break
			}
			if groups >= 2 && len(joined) >= minHex {
				scratch = decodeHex(scratch[:0], joined)
				if tok, ok := ix.foundDepth(scratch, depth); ok {
					if emit(start, end, tok) {
						return
					}
				}
			}
			i = max(end, start+1)
		}
		pos = i
	}
}

// resumes marks the bytes that are neither word bytes nor separators: the
// walk of spacedHex steps onto each of them (it jumps only over words and
// over sequences of groups and separators), so it can be resumed there.
var resumes = func() (t [256]bool) {
	for c := range t {
		t[c] = !wordBytes[c] && c != ' ' && c != ':'
	}
	return t
}()

// inDump marks the bytes a hex dump is made of: hex digits and separators.
var inDump = func() (t [256]bool) {
	for c := range t {
		t[c] = isHex(byte(c)) || c == ' ' || c == ':'
	}
	return t
}()

// dumpStretch returns the first maximal run [lo, hi) of inDump bytes in
// b[from:] that has at least n bytes and holds a separator, or -1, -1.
// b[from-1], when from > 0, is not an inDump byte.
func dumpStretch(b []byte, from, n int) (int, int) {
	for {
		lo := firstRun(b, from, n, &inDump)
		if lo == len(b) {
			return -1, -1
		}
		hi := lo
		for hi < len(b) && inDump[b[hi]] {
			hi++
		}
		if run := b[lo:hi]; bytes.IndexByte(run, ' ') >= 0 || bytes.IndexByte(run, ':') >= 0 {
			return lo, hi
		}
		from = hi
	}
}

// isWordByte: a letter, digit or underscore, which would make a hex-looking
// group part of a longer word.
func isWordByte(c byte) bool { return wordBytes[c] }

var wordBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
	}
	return t
}()

// hexRuns finds hex runs inside one line of a base64 run ("0x5347…" or
// "key=5347…"); at is seg's offset in the scanned text.
func (ix *index) hexRuns(seg []byte, at, minHex int, scratch *[]byte, emit func(st, en int, tok string) bool, depth int) {
	for k := 0; k < len(seg); {
		if !isHex(seg[k]) {
			k++
			continue
		}
		l := k
		for l < len(seg) && isHex(seg[l]) {
			l++
		}
		if l-k >= minHex {
			for align := 0; align < 2; align++ {
				*scratch = decodeHex((*scratch)[:0], seg[k+align:l])
				if tok, ok := ix.foundDepth(*scratch, depth); ok {
					emit(at+k, at+l, tok)
					break
				}
			}
		}
		k = l
	}
}

// lineBreak is the length of the line break at the start of b: CRLF or LF,
// raw or JSON-escaped; 0 when there is none.
func lineBreak(b []byte) int {
	// Most runs end at a byte that begins no line break: one test.
	if len(b) == 0 || (b[0] != '\\' && b[0] != '\r' && b[0] != '\n') {
		return 0
	}
	for _, lb := range [...]string{`\r\n`, `\n`, "\r\n", "\n"} {
		if len(b) >= len(lb) && string(b[:len(lb)]) == lb {
			return len(lb)
		}
	}
	return 0
}

func decodeB64(dst, src []byte) []byte {
	for len(src) >= 4 {
		v := uint32(b64[src[0]])<<18 | uint32(b64[src[1]])<<12 | uint32(b64[src[2]])<<6 | uint32(b64[src[3]])
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
		src = src[4:]
	}
	switch len(src) {
	case 2:
		v := uint32(b64[src[0]])<<18 | uint32(b64[src[1]])<<12
		dst = append(dst, byte(v>>16))
	case 3:
		v := uint32(b64[src[0]])<<18 | uint32(b64[src[1]])<<12 | uint32(b64[src[2]])<<6
		dst = append(dst, byte(v>>16), byte(v>>8))
	}
	return dst
}

func decodeHex(dst, src []byte) []byte {
	for ; len(src) >= 2; src = src[2:] {
		dst = append(dst, unhex(src[0])<<4|unhex(src[1]))
	}
	return dst
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}
