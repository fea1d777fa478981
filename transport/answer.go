package transport

import "context"

// A caller that wants an answer's body as bytes would read it again from
// the response (the sendgrid-go rest library read it with io.ReadAll from
// 512 bytes, then copied it to a string and back: about 1.3 MB of garbage
// for a 180 KB Email Activity answer). The guard has already read the whole
// body to record it; WithAnswer lets it hand those bytes over. The
// response's Body reads them too, as before, for any other caller (and
// http.Client wraps it, so the bytes cannot be reached through it).

type answerKey struct{}

// Answer receives the body the guard read for a request made under
// WithAnswer.
type Answer struct {
	body []byte
	ok   bool
}

// WithAnswer returns a context under which the guard stores the body of a
// completely read answer in a.
func WithAnswer(ctx context.Context, a *Answer) context.Context {
	return context.WithValue(ctx, answerKey{}, a)
}

// Body returns the answer's whole body, and false when the guard stored
// none (a request not made through it, a body that failed to read). The
// bytes are shared with the exchange's record, which may still be redacting
// and writing them in the background (Pipelined): read them, never write
// to them.
func (a *Answer) Body() ([]byte, bool) { return a.body, a.ok }

func answerOf(ctx context.Context) *Answer {
	a, _ := ctx.Value(answerKey{}).(*Answer)
	return a
}
