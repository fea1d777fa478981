package sendgrid

import "encoding/json"
import "reflect"
import "strconv"
import "strings"
import "unicode/utf8"
import "unsafe"

// Decoding an Email Activity answer (1,000 messages, 180 KB) with
// encoding/json took about 1 ms of keyir's CPU and 4,000 allocations per
// query, a sixth of what keyir spent on an answer. Almost every answer has
// one shape: {"messages":[…]} of objects holding the eight known fields,
// strings without escapes, whole numbers. scanPage reads that shape in one
// pass, each string a view of the body rather than a copy; anything else
// (an escape, another field, a null, a duplicate, invalid UTF-8, a syntax
// error) makes it give up, and encoding/json decodes the answer as before,
// with the same result or error. FuzzScanPageEqualsJSON holds the two to
// the same messages on every answer scanPage accepts.

// activityPage is the decoded answer of GET /v3/messages. Its strings may
// be views of the answer's body (Client.call's Response.Body, which
// nothing writes to): what outlives the page is cloned (see keep). The
// next answer decoded into it reuses its Messages.
type activityPage struct {
	Messages []message `json:"messages"`
}

// bodyDecoder is an out of Client.call that decodes the answer's body
// itself; the body is not written to afterwards, so it may keep views of it.
type bodyDecoder interface {
	decodeBody([]byte) error
}

// decodeBody is what Client.call decodes an answer with (bodyDecoder).
func (p *activityPage) decodeBody(b []byte) error {
	if ms, ok := scanPage(b, p.Messages[:0]); ok {
		p.Messages = ms
		return nil
	}
	// encoding/json, into the type it decoded into before (its errors
	// name the type).
	var v struct {
		Messages []message `json:"messages"`
	}
	err := json.Unmarshal(b, &v)
	p.Messages = v.Messages
	return err
}

// keep is s copied out of the answer's body, for what outlives the page
// (a map key, the msg_ids of the next span): a view would keep the whole
// 180 KB body alive.
func keep(s string) string { return strings.Clone(s) }

// pageScanner reads b from i on.
type pageScanner struct {
	b []byte
	i int
	// order[j]+1 is the field that came j-th in the last message read
	// (0: none yet): answers list the fields of every message in one order.
	order [64]uint8
}

func (s *pageScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit consumes c (after white space) if it comes next.
func (s *pageScanner) lit(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// strStop: the bytes str must look at: the closing quote, a backslash, a
// control byte, and a byte of a multi-byte character (UTF-8 to check).
var strStop = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

// str reads a string that decodes to its own bytes: no escape, no control
// byte, valid UTF-8. It returns a view of b.
func (s *pageScanner) str() (string, bool) {
	if !s.lit('"') {
		return "", false
	}
	start, ascii := s.i, true
	for {
		for s.i < len(s.b) && !strStop[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			return "", false
		}
		c := s.b[s.i]
		if c == '"' {
			break
		}
		if c < utf8.RuneSelf { // a backslash or a control byte
			return "", false
		}
		ascii = false
		s.i++
	}
	v := s.b[start:s.i]
	s.i++ // the closing quote
	if !ascii && !utf8.Valid(v) {
		return "", false // encoding/json would write U+FFFD for the bad bytes
	}
	return unsafe.String(unsafe.SliceData(v), len(v)), true
}

// num reads a whole number of at most 18 digits (no fraction, no
// exponent: what follows is left to the caller, which accepts only , or }).
func (s *pageScanner) num() (int, bool) {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	d := s.i
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else {
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	}
	if s.i == d || s.i-d > 18 {
		return 0, false
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	return n, err == nil
}

// messageField is where scanPage writes a field of message.
type messageField struct {
	name string
	off  uintptr // offset in message
	num  bool    // an int; else a string
}

// messageFields are message's fields scanPage can read, in order: every
// string or int field tagged with a bare JSON name (an option such as
// ",string" changes how encoding/json reads it; a name not here makes
// scanPage give up). Taken from the type, so the two cannot disagree.
var messageFields = func() []messageField {
	t := reflect.TypeFor[message]()
	var out []messageField
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("json")
		if name == "" || name == "-" || strings.Contains(name, ",") {
			continue
		}
		switch f.Type {
		case reflect.TypeFor[string]():
			out = append(out, messageField{name, f.Offset, false})
		case reflect.TypeFor[int]():
			out = append(out, messageField{name, f.Offset, true})
		}
	}
	if len(out) > 64 {
		panic("sendgrid: message has more fields than scanPage's bit set")
	}
	return out
}()

// field finds key, the j-th of its message, among messageFields, trying
// first the field that came j-th in the last message.
func (s *pageScanner) field(j int, key string) int {
	if j < len(s.order) {
		if k := int(s.order[j]) - 1; k >= 0 && messageFields[k].name == key {
			return k
		}
	}
	for k := range messageFields {
		if messageFields[k].name == key {
			if j < len(s.order) {
				s.order[j] = uint8(k + 1)
			}
			return k
		}
	}
	return -1
}

// object reads one message.
func (s *pageScanner) object() (message, bool) {
	var m message
	if !s.lit('{') {
		return m, false
	}
	if s.lit('}') {
		return m, true
	}
	var seen uint64 // the fields read, to refuse a duplicate
	for j := 0; ; j++ {
		key, ok := s.str()
		if !ok || !s.lit(':') {
			return m, false
		}
		k := s.field(j, key)
		if k < 0 || seen&(1<<k) != 0 {
			// Another field (or one spelt in another case, which
			// encoding/json would match), or one given twice: the general
			// decoder's job.
			return m, false
		}
		seen |= 1 << k
		// A pointer to the field within m (offsets from reflect).
		p := unsafe.Add(unsafe.Pointer(&m), messageFields[k].off)
		if messageFields[k].num {
			*(*int)(p), ok = s.num()
		} else {
			*(*string)(p), ok = s.str()
		}
		if !ok {
			return m, false
		}
		if s.lit('}') {
			return m, true
		}
		if !s.lit(',') {
			return m, false
		}
	}
}

// scanPage decodes b, appending to ms, when it is {"messages":[…]} of
// messages object reads; false for anything else.
func scanPage(b []byte, ms []message) ([]message, bool) {
	s := &pageScanner{b: b}
	if !s.lit('{') {
		return nil, false
	}
	if key, ok := s.str(); !ok || key != "messages" || !s.lit(':') || !s.lit('[') {
		return nil, false
	}
	if ms == nil {
		ms = make([]message, 0, min(len(b)/128, 4096))
	}
	if !s.lit(']') {
		for {
			m, ok := s.object()
			if !ok {
				return nil, false
			}
			ms = append(ms, m)
			if s.lit(']') {
				break
			}
			if !s.lit(',') {
				return nil, false
			}
		}
	}
	if !s.lit('}') {
		return nil, false
	}
	s.space()
	return ms, s.i == len(s.b)
}
