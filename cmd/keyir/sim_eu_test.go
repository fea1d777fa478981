package main

import "bufio"
import "net/http"
import "strings"
import "syscall"
import "testing"

// TestSimSendgridServesBothHosts: `keyir sim sendgrid --scenario eu-subuser`
// prints both hosts and the key's id; the leaked key (an EU subuser's)
// authenticates on the EU host only.
func TestSimSendgridServesBothHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	cmd := keyirProcess(t, "sim", "sendgrid", "--listen", "127.0.0.1:0", "--scenario", "eu-subuser")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	vars := map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(vars) < 5 {
		if k, v, ok := strings.Cut(strings.Fields(sc.Text() + " ")[0], "="); ok {
			vars[k] = v
		}
	}
	leaked := vars["LEAKED_KEY"]
	if len(vars["LEAKED_KEY_ID"]) != 22 || !strings.Contains(leaked, "."+vars["LEAKED_KEY_ID"]+".") {
		t.Fatalf("printed %v", vars)
	}
	status := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/v3/scopes", nil)
		req.Header.Set("Authorization", "Bearer "+leaked)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if g, eu := status(vars["SENDGRID_API_URL"]), status(vars["SENDGRID_API_URL_EU"]); g != 401 || eu != 200 {
		t.Fatalf("EU subuser's key: global host %d, EU host %d; want 401 and 200", g, eu)
	}
}
