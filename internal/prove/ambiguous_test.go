package prove

import "bytes"
import "io"
import "net/http"
import "net/url"
import "sync"

// ambiguous records the Slack posts whose answer never reached keyir: the
// request went out and the round trip or the reading of the answer failed
// (the client's timeout on a loaded machine, a reset). Slack may have carried
// such a post out, and keyir, delivering at least once, asks again; a second
// copy of exactly such a post is that retry, not a notification re-sent after
// Slack had answered. The record is made on the client's side, where the
// ambiguity is known for certain.
type ambiguous struct {
	next http.RoundTripper
	mu   sync.Mutex
	keys map[string]bool
}

func newAmbiguous() *ambiguous {
	return &ambiguous{next: http.DefaultTransport, keys: map[string]bool{}}
}

// postKey is duplicatePosts' identity of a post, from the form keyir sent.
func postKey(f url.Values) string {
	return f.Get("channel") + "|" + f.Get("thread_ts") + "|" + f.Get("text") + "|" + f.Get("blocks")
}

func (a *ambiguous) RoundTrip(r *http.Request) (*http.Response, error) {
	var key string
	if r.Body != nil && r.Method == http.MethodPost {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if f, err := url.ParseQuery(string(b)); err == nil {
			key = postKey(f)
		}
	}
	resp, err := a.next.RoundTrip(r)
	if key == "" {
		return resp, err
	}
	if err != nil {
		a.mark(key)
		return resp, err
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, fail: func() { a.mark(key) }}
	return resp, nil
}

func (a *ambiguous) mark(key string) {
	a.mu.Lock()
	a.keys[key] = true
	a.mu.Unlock()
}

func (a *ambiguous) has(key string) bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keys[key]
}

// watchedBody reports an answer that could not be read to its end.
type watchedBody struct {
	io.ReadCloser
	fail func()
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		w.fail()
	}
	return n, err
}
