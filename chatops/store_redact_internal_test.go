package chatops

import "bytes"
import "encoding/base64"
import "encoding/json"
import "net/url"
import "os"
import "path/filepath"
import "testing"

import "github.com/keyir/keyir/redact"

// A saved request's log line is red.Bytes of its JSON encoding, byte for
// byte: save takes a cheaper path to it (red.JSON, one search over the
// encoding without Bytes' copies), which must not redact less, nor
// differently. The requests carry a registered secret raw, URL-escaped,
// in base64 and cut to a prefix, and an unregistered key shape, in the
// fields a request can hold text in. This test passes on the code before
// the change too (it compares with what that code wrote); it fails if the
// two paths ever differ.
func TestSaveRedactsAsBytesOfTheEncoding(t *testing.T) {
	const secret = "SG.AAAAAAAAAAAAAAAAAAAAAA.leakedleakedleakedleakedleakedleakedleaked1"
	red := redact.New(secret)
	data := t.TempDir()
	s, err := openStore(data, red)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.settle(); s.log.Close() }() // the applier writes files in the directory
	texts := []string{
		"nothing secret here",
		"the key " + secret + " in the middle",
		url.QueryEscape("token=" + secret),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+secret)),
		"cut short: " + secret[:30],
		"a key never registered: xoxb-1234567890-abcdefghijklmnop",
		"quotes \" and <html> & \\ escapes " + secret,
	}
	var want bytes.Buffer
	for i, text := range texts {
		r := testRequest(newRequestID(), 1, StatePending)
		r.Detail, r.KeyName, r.Incident = text, text, text
		r.KeyScopes = []string{text, "mail.send"}
		r.PlanLines = []string{text}
		r.KeyReadError = text
		enc, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		want.Write(red.Bytes(enc))
		want.WriteByte('\n')
		if err := s.save(r); err != nil {
			t.Fatalf("text %d: %v", i, err)
		}
	}
	got, err := os.ReadFile(filepath.Join(data, requestsLog))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the request log differs from red.Bytes of each request's encoding:\n got %s\nwant %s", got, want.Bytes())
	}
	if bytes.Contains(got, []byte("leakedleaked")) {
		t.Fatal("a secret reached the request log")
	}
}
