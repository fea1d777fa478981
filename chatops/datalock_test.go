package chatops_test

import "context"
import "errors"
import "testing"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/redact"

// A second keyir serve on the data directory of a running one is refused
// before it reads or changes anything there: on the old code it started,
// and its start would have settled the first's requests as its own (a
// running revoke marked interrupted, the request log emptied). The first
// goes on deciding its request; once it stops, the directory is free.
func TestServeRefusesADataDirAnotherServeHolds(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+id+" INC-LOCK")
	r := w.request(id, chatops.StatePending)
	o := chatops.Options{Config: w.cfg, BotToken: w.slack.BotToken(), SlackAPIURL: w.apiURL, Getenv: w.getenv, Redactor: redact.New()}
	second, err := chatops.New(o)
	if err == nil {
		second.Start(context.Background())
		second.Shutdown(context.Background())
		t.Fatal("a second server opened the data directory of a running one")
	}
	if !errors.Is(err, chatops.ErrDataDirInUse) {
		t.Fatalf("second server: %v, want ErrDataDirInUse", err)
	}
	w.click(bob, chatops.ActionCancel, r)
	if got := w.request(id, chatops.StateCancelled); got.DecidedBy != bob {
		t.Fatalf("the first server's request: %+v", got)
	}
	w.stop()
	free, err := chatops.New(o)
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	free.Start(context.Background())
	if err := free.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
