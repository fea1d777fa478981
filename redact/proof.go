package redact

import "encoding/json"
import "unsafe"

// Redaction is the costliest thing keyir does per HTTP exchange: a 75 KB
// Email Activity answer is redacted by the transport, and its evidence
// record (the exchange, JSON-encoded) used to be redacted again, whole,
// decoding every escape and base64 run a second time. A Proof lets the
// second look be only what the encoding could have added.

// Proof says that texts were redacted by one Redactor when it held the
// secrets of one generation. The zero Proof proves nothing.
type Proof struct {
	r   *Redactor
	gen uint64
}

// Clean is a value whose every text (string field, map key and value) was
// redacted by the Redactor its proof names; numbers, booleans and times
// are not texts. transport.Exchange is one.
type Clean interface {
	RedactedBy() Proof
}

// Generation counts the changes to the registered secrets: a text redacted
// at generation G is clean of every secret registered up to G, and of no
// secret registered after.
func (r *Redactor) Generation() uint64 {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.gen
}

// Redact is String that also returns the proof of what it did. Several
// texts' proofs combine with And.
func (r *Redactor) Redact(s string) (string, Proof) {
	if r == nil {
		return r.String(s), Proof{}
	}
	r.mu.RLock()
	ix, gen := r.ix, r.gen
	r.mu.RUnlock()
	if spans := ix.find(s); len(spans) > 0 {
		s = apply(s, spans)
	}
	return s, Proof{r: r, gen: gen}
}

// And is the proof of both texts: the older generation, and nothing when
// different redactors (or none) redacted them.
func (p Proof) And(q Proof) Proof {
	if p.r == nil || p.r != q.r {
		return Proof{}
	}
	return Proof{r: p.r, gen: min(p.gen, q.gen)}
}

// holds reports whether p proves texts clean for r as it is now: redacted
// by r, and no secret registered since.
func (p Proof) holds(r *Redactor) bool {
	return r != nil && p.r == r && p.gen == r.Generation()
}

// JSON encodes v as JSON and redacts the encoding. A v that is Clean by r,
// with no secret registered since, gets only the surface pass (Surface):
// each of its texts was already searched through every escape and
// encoding, and the JSON encoding only adds quotes, escapes, field names
// and numbers around them, so a secret can newly appear only in the bytes
// as written, straddling what was added. Anything else gets the full pass
// (String): a secret registered after the texts were redacted is caught
// in every form.
func (r *Redactor) JSON(v any) ([]byte, error) {
	t, err := r.Record(v)
	return t.b, err
}

// JSONText is a redacted JSON encoding made by Record. When the redaction
// changed nothing, it is exactly what encoding/json wrote, hence valid,
// compact JSON that a writer may splice into a larger JSON text as it is;
// re-validating it (json.Marshal of a json.RawMessage, json.Valid) cost
// as much as encoding a 180 KB Email Activity record in the first place.
// When a redaction replaced bytes, a replacement may have cut through the
// JSON syntax: Valid is false and the writer must check it as before.
type JSONText struct {
	b     []byte
	valid bool
}

// Bytes is the redacted encoding.
func (t JSONText) Bytes() []byte { return t.b }

// Valid reports whether the bytes are encoding/json's output unchanged
// (valid JSON without another look); false for the zero JSONText.
func (t JSONText) Valid() bool { return t.valid }

// JSONAppender is a value that writes its own JSON encoding: AppendJSON
// appends exactly the bytes json.Marshal would write for it (or fails as
// it would), only faster. Record and JSON encode such a value with it;
// what they then redact, and what Valid promises, is unchanged. Whoever
// implements it holds it to json.Marshal byte for byte in a test
// (transport.Exchange: FuzzExchangeJSONEqualsMarshal), since evidence
// files must not change with the encoder.
type JSONAppender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// Record is JSON that also says whether the result needs no validation
// (JSONText.Valid): exactly when no redaction changed the encoding.
func (r *Redactor) Record(v any) (JSONText, error) {
	return r.RecordAppend(nil, v)
}

// RecordAppend is Record appending the encoding to dst: the JSONText is
// the record alone (dst[len(dst):] grown), in dst's memory while it fits,
// so a caller that writes one record after another reuses one buffer
// instead of allocating a 180 KB Email Activity record each time. The
// caller must not reuse dst while the JSONText is in use.
func (r *Redactor) RecordAppend(dst []byte, v any) (JSONText, error) {
	var b []byte
	var err error
	if a, ok := v.(JSONAppender); ok {
		b, err = a.AppendJSON(dst)
	} else {
		b, err = json.Marshal(v)
		if dst != nil {
			b = append(dst, b...)
		}
	}
	if err != nil {
		return JSONText{}, err
	}
	b = b[len(dst):]
	var spans []span
	if c, ok := v.(Clean); ok && c.RedactedBy().holds(r) {
		spans = r.index().surfaceSpans(b)
	} else {
		spans = r.index().find(unsafe.String(unsafe.SliceData(b), len(b)))
	}
	if len(spans) == 0 {
		return JSONText{b: b, valid: true}, nil
	}
	s := unsafe.String(unsafe.SliceData(b), len(b)) // read-only view for apply
	// apply builds a new string, so b's memory is free to take it.
	return JSONText{b: append(b[:0], apply(s, spans)...)}, nil
}

// Surface redacts b as written only: every registered secret, every run of
// Gram or more bytes of a long one, and every credential shape, without
// undoing escapes or decoding base64 and hex. It is for text whose parts
// were each redacted in full (see JSON); b is returned as is when it holds
// nothing.
func (r *Redactor) Surface(b []byte) []byte {
	spans := r.index().surfaceSpans(b)
	if len(spans) == 0 {
		return b
	}
	s := unsafe.String(unsafe.SliceData(b), len(b)) // read-only view for apply
	return []byte(apply(s, spans))
}

// surfaceSpans is Surface's search: the spans of b as written. ix may be
// nil (credential shapes are still found).
func (ix *index) surfaceSpans(b []byte) []span {
	if len(b) == 0 {
		return nil
	}
	var spans []span
	emit := func(st, en int, tok string) bool {
		spans = append(spans, span{st, en, tok})
		return false
	}
	ix.scanMaterial(b, emit)
	scanShapes(b, emit)
	return spans
}
