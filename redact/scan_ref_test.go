package redact

import "bytes"
import "fmt"
import "testing"
import "unsafe"

// refScanMaterial is scanMaterial as it was before it skipped the bytes no
// long secret holds: the rolling hash over every window of b. The fuzz
// target below holds the two to the same matches.
func (ix *index) refScanMaterial(b []byte, emit func(st, en int, tok string) bool) {
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
	i := 0
	h := gramHash(b)
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
					return
				}
				i += Gram + bestR
				if i+Gram > len(b) {
					return
				}
				h = gramHash(b[i:])
				continue
			}
		}
		if i+Gram >= len(b) {
			return
		}
		h = (h-uint64(b[i])*hashPow)*hashBase + uint64(b[i+Gram])
		i++
	}
}

func materialSpans(b []byte, scan func([]byte, func(int, int, string) bool)) string {
	var out []string
	scan(b, func(st, en int, tok string) bool {
		out = append(out, fmt.Sprintf("%d-%d %s", st, en, tok))
		return false
	})
	return fmt.Sprint(out)
}

// FuzzScanMaterialEqualsReference: for any text, with pieces of the
// registered secrets spliced in (whole, cut, joined, next to bytes no secret
// holds), scanMaterial finds exactly the matches the scan of every window
// found.
func FuzzScanMaterialEqualsReference(f *testing.F) {
	r := New(sgKey, plain, "CANARY-webhook-signing-secret-0123456789", "xoxb-1111111111-2222222222-CANARYbotTOKEN")
	ix := r.index()
	secrets := []string{sgKey, plain, "CANARY-webhook-signing-secret-0123456789", "xoxb-1111111111-2222222222-CANARYbotTOKEN"}
	f.Add("", uint8(0), uint8(0), uint8(0))
	f.Add(`{"a":"`, uint8(0), uint8(3), uint8(40))
	f.Add("x y:z", uint8(2), uint8(10), uint8(12))
	f.Add(activityAnswer()[:300], uint8(1), uint8(0), uint8(255))
	f.Fuzz(func(t *testing.T, text string, which, from, n uint8) {
		sec := secrets[int(which)%len(secrets)]
		st := int(from) % len(sec)
		en := min(len(sec), st+int(n))
		// The piece in the middle of the text, and the text around it twice.
		mid := len(text) / 2
		b := []byte(text[:mid] + sec[st:en] + text[mid:] + sec[st:en] + text)
		got := materialSpans(b, ix.scanMaterial)
		want := materialSpans(b, ix.refScanMaterial)
		if got != want {
			t.Fatalf("%q:\n got  %s\n want %s", b, got, want)
		}
	})
}

// TestScanMaterialEqualsReferenceOnAnswers: the same on the texts the
// benchmarks redact.
func TestScanMaterialEqualsReferenceOnAnswers(t *testing.T) {
	r := New(sgKey, plain, "CANARY-webhook-signing-secret-0123456789")
	ix := r.index()
	for _, text := range []string{activityAnswer(), evidence(64 << 10), evidence(4<<10) + sgKey[5:40] + "\"" + sgKey[30:] + "," + plain} {
		b := []byte(text)
		if got, want := materialSpans(b, ix.scanMaterial), materialSpans(b, ix.refScanMaterial); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}
