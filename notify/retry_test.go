package notify

import "context"
import "errors"
import "net/http"
import "testing"
import "time"

func TestRetryStopsOnPermanent(t *testing.T) {
	n := 0
	err := Retry(context.Background(), Policy{Initial: time.Millisecond}, func(context.Context) error { n++; return errors.New("bad channel") })
	if err == nil || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

func TestRetryBoundedAttemptsAndBudget(t *testing.T) {
	n := 0
	err := Retry(context.Background(), Policy{MaxAttempts: 4, Initial: time.Millisecond}, func(context.Context) error {
		n++
		return &RetryableError{Err: errors.New("503")}
	})
	if err == nil || n != 4 || !Retryable(err) {
		t.Fatalf("n=%d err=%v", n, err)
	}
	// A Retry-After beyond the total budget gives up at once.
	n = 0
	start := time.Now()
	err = Retry(context.Background(), Policy{MaxElapsed: time.Second}, func(context.Context) error {
		n++
		return &RetryableError{Err: errors.New("429"), RetryAfter: time.Hour}
	})
	if err == nil || n != 1 || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

func TestRetryHonoursRetryAfterAndContext(t *testing.T) {
	var waits []time.Duration
	n := 0
	err := Retry(context.Background(), Policy{Initial: time.Millisecond, OnRetry: func(_ int, w time.Duration, _ error) { waits = append(waits, w) }},
		func(context.Context) error {
			n++
			if n == 1 {
				return &RetryableError{Err: errors.New("429"), RetryAfter: 20 * time.Millisecond}
			}
			return nil
		})
	if err != nil || len(waits) != 1 || waits[0] != 20*time.Millisecond {
		t.Fatalf("err=%v waits=%v", err, waits)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err = Retry(ctx, Policy{Initial: time.Hour, MaxElapsed: 2 * time.Hour}, func(context.Context) error {
		return &RetryableError{Err: errors.New("503")}
	})
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("err=%v", err)
	}
}

func TestCheckResponse(t *testing.T) {
	h := http.Header{"Retry-After": {"7"}}
	err := CheckResponse(&http.Response{StatusCode: 429, Status: "429 Too Many Requests", Header: h}, "")
	if !Retryable(err) || RetryAfter(err) != 7*time.Second {
		t.Fatalf("%v %v", err, RetryAfter(err))
	}
	if err := CheckResponse(&http.Response{StatusCode: 404, Status: "404", Header: http.Header{}}, ""); err == nil || Retryable(err) {
		t.Fatal("404 must be permanent")
	}
	if CheckResponse(&http.Response{StatusCode: 202}, "") != nil {
		t.Fatal("202 is success")
	}
}

func TestDecodeStrict(t *testing.T) {
	var c struct {
		A string        `json:"a"`
		T time.Duration `json:"t"`
		L []string      `json:"l"`
	}
	if err := Decode(map[string]any{"a": "x", "t": "2s", "l": []any{"p"}}, &c); err != nil || c.T != 2*time.Second || c.L[0] != "p" {
		t.Fatalf("%+v %v", c, err)
	}
	if Decode(map[string]any{"b": 1}, &c) == nil {
		t.Fatal("unknown field accepted")
	}
}
