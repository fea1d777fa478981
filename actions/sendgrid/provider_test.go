package sendgrid

import "bytes"
import "context"
import "io"
import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"

// TestSendGridProvider: the SendGrid provider brings its key shape, its
// playbook, its simulator, its scenarios and its doctor through one
// registration, and ParseKey uses the registered shape.
func TestSendGridProvider(t *testing.T) {
	p, ok := provider.Lookup("sendgrid")
	if !ok || !slices.Equal(p.PlaybookNames, []string{"sendgrid-eradicate", "sendgrid-key-compromise"}) || p.Doctor == nil || len(p.Scenarios) < 8 {
		t.Fatalf("provider sendgrid: %+v", p)
	}
	if _, _, owner, err := provider.Playbook("sendgrid-key-compromise"); err != nil || owner != "sendgrid" {
		t.Fatalf("playbook owner %q, %v", owner, err)
	}
	r, ok := provider.Identify(APIKey.Sample)
	if !ok || r.Kind != "sendgrid-api-key" || r.Provider != "sendgrid" || !r.ChecksumOK {
		t.Fatalf("Identify = %+v %v", r, ok)
	}
	if name, _ := redact.KindOf(APIKey.Sample); name != "a SendGrid API key" {
		t.Errorf("KindOf = %q", name)
	}
	if ki, err := ParseKey(APIKey.Sample, ""); err != nil || ki.ID != "keyirSampleKeyId000000" {
		t.Errorf("ParseKey(sample) = %+v, %v", ki, err)
	}

	sim, ok := provider.LookupSimulator("sendgrid")
	if !ok {
		t.Fatal("no sendgrid simulator")
	}
	var out bytes.Buffer
	stop, err := sim.Start(provider.SimOptions{Values: map[string]string{"listen": "127.0.0.1:0", "scenario": "id-only"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background(), io.Discard)
	for _, want := range []string{"SENDGRID_API_URL=http://127.0.0.1:", "SENDGRID_API_URL_EU=http://127.0.0.1:", "SENDGRID_API_KEY=SG.", "LEAKED_KEY_ID="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sim output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := sim.Start(provider.SimOptions{Values: map[string]string{"listen": "127.0.0.1:0", "scenario": "nope"}}, io.Discard); err == nil || !strings.Contains(err.Error(), `no scenario "nope"`) {
		t.Errorf("unknown scenario: %v", err)
	}
}
