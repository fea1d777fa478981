package transport

import "encoding/json"
import "math"
import "math/bits"
import "slices"
import "strconv"
import "unicode/utf8"

// The evidence record of an exchange is json.Marshal's encoding of it. For
// an Email Activity answer that was most of the cost of recording it: the
// reflection over the struct, the 180 KB body quoted a byte at a time and
// the result copied out of the encoder's buffer (about 1 ms an answer,
// BENCHMARKS.md "Seventh pass"). AppendJSON writes the same bytes in one
// pass into a buffer sized once. Same bytes means the evidence files are
// unchanged: TestExchangeJSONEqualsMarshal and FuzzExchangeJSONEqualsMarshal
// hold it to encoding/json, and anything this encoder does not reproduce
// with certainty (a time json.Marshal refuses, a duration that is not a
// finite number) is left to json.Marshal itself.

// AppendJSON appends json.Marshal(e) to dst, byte for byte (redact.Record
// uses it instead of json.Marshal: redact.JSONAppender).
func (e Exchange) AppendJSON(dst []byte) ([]byte, error) {
	if y := e.Time.Year(); y < 0 || y > 9999 || math.IsNaN(e.DurationMS) || math.IsInf(e.DurationMS, 0) {
		b, err := json.Marshal(e)
		return append(dst, b...), err
	}
	n := 160 + len(e.Method) + len(e.URL) + len(e.ReqBody) + len(e.RespBody) + len(e.Error) +
		headersLen(e.ReqHeaders) + headersLen(e.RespHeads)
	// Escapes make a text longer; an eighth more covers ordinary JSON
	// (a quote or a backslash now and then) without a second growth.
	dst = slices.Grow(dst, n+n/8)
	dst = append(dst, `{"time":"`...)
	dst = e.Time.AppendFormat(dst, "2006-01-02T15:04:05.999999999Z07:00")
	dst = append(dst, `","method":`...)
	dst = appendString(dst, e.Method)
	dst = append(dst, `,"url":`...)
	dst = appendString(dst, e.URL)
	if len(e.ReqHeaders) > 0 {
		dst = append(dst, `,"request_headers":`...)
		dst = appendHeaders(dst, e.ReqHeaders)
	}
	if e.ReqBody != "" {
		dst = append(dst, `,"request_body":`...)
		dst = appendString(dst, e.ReqBody)
	}
	if e.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(e.Status), 10)
	}
	if len(e.RespHeads) > 0 {
		dst = append(dst, `,"response_headers":`...)
		dst = appendHeaders(dst, e.RespHeads)
	}
	if e.RespBody != "" {
		dst = append(dst, `,"response_body":`...)
		dst = appendString(dst, e.RespBody)
	}
	if e.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	dst = append(dst, `,"duration_ms":`...)
	dst = appendFloat(dst, e.DurationMS)
	if e.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = appendString(dst, e.Error)
	}
	if e.Refused {
		dst = append(dst, `,"refused_dry_run":true`...)
	}
	return append(dst, '}'), nil
}

func headersLen(h map[string]string) int {
	n := 0
	for k, v := range h {
		n += len(k) + len(v) + 6
	}
	return n
}

// appendHeaders encodes a map as encoding/json does: keys in the order of
// their bytes.
func appendHeaders(dst []byte, h map[string]string) []byte {
	var small [32]string
	keys := small[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, h[k])
	}
	return append(dst, '}')
}

// appendFloat is encoding/json's float64 encoding: the shortest
// representation, in exponent form below 1e-6 and from 1e21, with the
// exponent's leading zero dropped. f is finite (AppendJSON checked).
func appendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// Bytes that a JSON string from json.Marshal holds as they are: printable
// ASCII but for the quote, the backslash and the HTML characters <, > and
// & (escaped as \u003c, \u003e, \u0026).
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// exactZero has the high bit of each byte of x that is zero, and no other
// bit (no borrow from one byte into the next, unlike the shorter test).
func exactZero(x uint64) uint64 {
	const lows = 0x7f7f7f7f7f7f7f7f
	y := (x & lows) + lows
	return ^(y | x | lows)
}

// anyZero is non-zero when a byte of x is zero (it may mark bytes above
// that one too: enough to know whether there is one, not which).
func anyZero(x uint64) uint64 { return (x - ones) & ^x & highs }

// rare is non-zero when a byte of x needs escaping for another reason
// than being a quote or a backslash: at or above 0x80 (U+2028, U+2029 and
// invalid UTF-8 are among those), below 0x20, or one of < > &. Small
// enough to be inlined: < and > differ in one bit (0x3c, 0x3e), so
// setting that bit finds both with one test.
func rare(x uint64) uint64 {
	// A byte >= 0x80; else, a byte < 0x20 (the borrow marks one only
	// when there is one, as no byte has its high bit).
	m := (x | (x-0x20*ones)&^x) & highs
	return m | anyZero((x|0x02*ones)^'>'*ones) | anyZero(x^'&'*ones)
}

// word is the 8 bytes of s from i, little-endian (the compiler makes it
// one load).
func word(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// appendString is encoding/json's encoding of a string (json.Marshal's
// defaults): quoted; " and \ escaped; \b \f \n \r \t by letter and other
// control bytes as \u00XX; <, >, & as \u003c, \u003e, \u0026; U+2028 and
// U+2029 as \u2028 and \u2029; each byte of invalid UTF-8 as U+FFFD
// itself (its three bytes, not an escape).
// Plain text is copied a run at a time, found eight bytes a step.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while they hold nothing to escape but
		// quotes and backslashes (JSON text has a quote every few bytes):
		// each of those is written as a backslash, the byte itself going
		// out with the run that follows it.
		for i+8 <= len(s) {
			x := word(s, i)
			if rare(x) != 0 {
				break
			}
			for m := exactZero(x^'"'*ones) | exactZero(x^'\\'*ones); m != 0; m &= m - 1 {
				at := i + bits.TrailingZeros64(m)/8
				dst = append(dst, s[start:at]...)
				dst = append(dst, '\\')
				start = at
			}
			i += 8
		}
		// A word with another byte to escape, or the last bytes: byte
		// by byte to the word's end, then words again.
		for end := min(i+8, len(s)); i < end; {
			c := s[i]
			if c < utf8.RuneSelf {
				if plainASCII[c] {
					i++
					continue
				}
				dst = append(dst, s[start:i]...)
				i++
				start = i
				switch c {
				case '"', '\\':
					// The byte itself goes out with the next run.
					dst = append(dst, '\\')
					start--
				case '\b':
					dst = append(dst, '\\', 'b')
				case '\f':
					dst = append(dst, '\\', 'f')
				case '\n':
					dst = append(dst, '\\', 'n')
				case '\r':
					dst = append(dst, '\\', 'r')
				case '\t':
					dst = append(dst, '\\', 't')
				default:
					dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
				}
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
			case r == '\u2028' || r == '\u2029':
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			default:
				i += size
				continue
			}
			i += size
			start = i
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
