package htmlreport_test

// The browser test renders report.html of every drill scenario in a real,
// headless Chromium and checks what a reader would get: the page loads, it
// logs no error, it asks the network for nothing, it prints on A4 and
// Letter, and its screenshot is not blank. It drives Chromium over the
// DevTools protocol (a websocket), so console messages and network requests
// are observed, not guessed from stderr.
//
// It needs Debian's chromium (.ci/run installs it) and is skipped, saying
// so, only where there is none. KEYIR_SCREENSHOTS=DIR keeps the screenshots.

import "bufio"
import "bytes"
import "context"
import "encoding/base64"
import "encoding/json"
import "errors"
import "fmt"
import "image/png"
import "io"
import "net/url"
import "os"
import "os/exec"
import "path/filepath"
import "regexp"
import "strings"
import "sync"
import "syscall"
import "testing"
import "time"

import "github.com/gorilla/websocket"

import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"

// chromiumPath finds a Chromium binary.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("no chromium or chromium-browser in PATH and no /usr/bin/chromium (apt-get install chromium)")
}

func TestReportHTMLInChromium(t *testing.T) {
	bin, err := chromiumPath()
	if err != nil {
		t.Skip("chromium not installed: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The reports first, so the browser is not kept waiting.
	root := t.TempDir()
	pages := map[string]string{}
	var names []string
	for _, sc := range sendgridsim.Scenarios() {
		res, err := drill.Run(ctx, drill.Options{Scenario: sc.Name, ReportsRoot: root, Operator: "browser-test", Redactor: redact.New()})
		if err != nil {
			t.Fatalf("drill %s: %v", sc.Name, err)
		}
		pages[sc.Name] = filepath.Join(res.Run.Dir, runstore.ReportHTML)
		names = append(names, sc.Name)
	}

	b := startChromium(ctx, t, bin)
	shots := os.Getenv("KEYIR_SCREENSHOTS")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			path := pages[name]
			page, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := b.load(ctx, t, path)
			for _, e := range r.errors {
				t.Errorf("console: %s", e)
			}
			for _, u := range r.requests {
				t.Errorf("network request: %s", u)
			}
			if want := "DRILL-" + name; !strings.Contains(r.title, want) || !strings.HasPrefix(r.title, "[DRILL]") {
				t.Errorf("title %q, want [DRILL] … %s", r.title, want)
			}
			// The DOM Chromium built has what the file has: it parsed.
			if wantSVG := strings.Count(string(page), `<svg viewBox=`); r.charts != wantSVG || r.charts < 1 {
				t.Errorf("%d charts in the DOM, %d in the file", r.charts, wantSVG)
			}
			for _, want := range []string{"DRILL", "Timeline", "Findings by severity", "Blast radius", "Persistence", "Evidence files", "SHA-256"} {
				if !strings.Contains(r.text, want) {
					t.Errorf("rendered text lacks %q", want)
				}
			}
			if r.chartTextWidth <= 0 {
				t.Errorf("chart text has no width: fonts did not render")
			}
			checkNotBlank(t, r.png)
			for paper, pdf := range r.pdfs {
				if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 5000 {
					t.Errorf("printing on %s gave %d bytes", paper, len(pdf))
				}
			}
			if shots != "" {
				if err := os.WriteFile(filepath.Join(shots, name+".png"), r.png, 0o644); err != nil {
					t.Error(err)
				}
				if r.printPNG != nil {
					os.WriteFile(filepath.Join(shots, name+"-print.png"), r.printPNG, 0o644)
				}
				for paper, pdf := range r.pdfs {
					os.WriteFile(filepath.Join(shots, name+"-"+paper+".pdf"), pdf, 0o644)
				}
			}
		})
	}
}

// checkNotBlank fails unless the screenshot has real content: many colours,
// and a fair share of pixels that are not the background.
func checkNotBlank(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	bg := img.At(img.Bounds().Min.X, img.Bounds().Min.Y)
	colours := map[[4]uint32]bool{}
	other, total := 0, 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			c := img.At(x, y)
			cr, cg, cb, ca := c.RGBA()
			colours[[4]uint32{cr, cg, cb, ca}] = true
			br, bgc, bb, ba := bg.RGBA()
			if cr != br || cg != bgc || cb != bb || ca != ba {
				other++
			}
			total++
		}
	}
	if len(colours) < 16 || other*100 < total*3 {
		t.Errorf("screenshot %dx%d looks blank: %d colours, %d of %d sampled pixels differ from the background",
			r.Dx(), r.Dy(), len(colours), other, total)
	}
}

// browser is a headless Chromium and a DevTools connection to it.
type browser struct {
	t    *testing.T
	conn *websocket.Conn

	wmu sync.Mutex // one writer at a time on the websocket
	mu  sync.Mutex
	id  int
	rep map[int]chan cdpMsg
	evs []cdpMsg
}

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

var devtoolsURL = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

func startChromium(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes may still write into their
	// profile for a moment after the browser is killed, and t.TempDir's
	// cleanup then fails the test ("directory not empty"). The profile is
	// removed after the whole process group is gone, retried briefly.
	profile, err := os.MkdirTemp("", "keyir-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile,
		"--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
		"--hide-scrollbars", "--mute-audio", "--no-default-browser-check",
		"about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the browser and its helpers
		cmd.Wait()
		for i := 0; i < 50; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	found := make(chan string, 1)
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := devtoolsURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var ws string
	select {
	case ws = <-found:
	case <-time.After(30 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("chromium did not start its DevTools endpoint in 30s; stderr:\n%s", log.String())
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, ws, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", ws, err)
	}
	conn.SetReadLimit(256 << 20) // screenshots and PDFs arrive in one message
	b := &browser{t: t, conn: conn, rep: map[int]chan cdpMsg{}}
	t.Cleanup(func() { conn.Close() })
	go b.read()
	return b
}

func (b *browser) read() {
	for {
		_, data, err := b.conn.ReadMessage()
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.rep {
				close(ch)
				delete(b.rep, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMsg
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.rep[m.ID]; ok {
				ch <- m
				delete(b.rep, m.ID)
			}
		} else {
			b.evs = append(b.evs, m)
		}
		b.mu.Unlock()
	}
}

// call sends one DevTools command and waits for its answer.
func (b *browser) call(ctx context.Context, session, method string, params any, out any) error {
	b.mu.Lock()
	b.id++
	id := b.id
	ch := make(chan cdpMsg, 1)
	b.rep[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	if params == nil {
		msg["params"] = map[string]any{}
	}
	b.wmu.Lock()
	err := b.conn.WriteJSON(msg)
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// events returns the events of a session so far.
func (b *browser) events(session string) []cdpMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []cdpMsg
	for _, e := range b.evs {
		if e.SessionID == session {
			out = append(out, e)
		}
	}
	return out
}

type loadResult struct {
	title          string
	text           string
	charts         int
	chartTextWidth float64
	errors         []string
	requests       []string
	png            []byte
	printPNG       []byte
	pdfs           map[string][]byte
}

// load opens path in a fresh tab and collects what happened.
func (b *browser) load(ctx context.Context, t *testing.T, path string) loadResult {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	must(b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target))
	defer b.call(context.Background(), "", "Target.closeTarget", map[string]any{"targetId": target.TargetID}, nil)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	must(b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att))
	s := att.SessionID
	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		must(b.call(ctx, s, domain+".enable", nil, nil))
	}
	must(b.call(ctx, s, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1000, "height": 1200, "deviceScaleFactor": 1, "mobile": false}, nil))
	u := (&url.URL{Scheme: "file", Path: path}).String()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	must(b.call(ctx, s, "Page.navigate", map[string]any{"url": u}, &nav))
	if nav.ErrorText != "" {
		t.Fatalf("navigate %s: %s", u, nav.ErrorText)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !hasEvent(b.events(s), "Page.loadEventFired") {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not finish loading in 20s", u)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // late console messages, lazy requests

	var r loadResult
	eval := func(expr string, out any) {
		t.Helper()
		var res struct {
			Result struct {
				Value json.RawMessage `json:"value"`
			} `json:"result"`
			ExceptionDetails json.RawMessage `json:"exceptionDetails"`
		}
		must(b.call(ctx, s, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res))
		if res.ExceptionDetails != nil {
			t.Fatalf("evaluate %s: %s", expr, res.ExceptionDetails)
		}
		must(json.Unmarshal(res.Result.Value, out))
	}
	eval(`document.title`, &r.title)
	eval(`document.body.innerText`, &r.text)
	eval(`document.querySelectorAll('svg.chart').length`, &r.charts)
	eval(`(() => { const t = document.querySelector('svg.chart text'); return t ? t.getComputedTextLength() : 0 })()`, &r.chartTextWidth)

	var metrics struct {
		CSSContentSize struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	must(b.call(ctx, s, "Page.getLayoutMetrics", nil, &metrics))
	var shot struct {
		Data string `json:"data"`
	}
	must(b.call(ctx, s, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": metrics.CSSContentSize.Width, "height": metrics.CSSContentSize.Height, "scale": 1},
	}, &shot))
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	must(err)
	r.png = png
	if os.Getenv("KEYIR_SCREENSHOTS") != "" {
		// How the page prints: print media, an A4 text column (184mm).
		must(b.call(ctx, s, "Emulation.setEmulatedMedia", map[string]any{"media": "print"}, nil))
		must(b.call(ctx, s, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 695, "height": 1000, "deviceScaleFactor": 1, "mobile": false}, nil))
		must(b.call(ctx, s, "Page.getLayoutMetrics", nil, &metrics))
		must(b.call(ctx, s, "Page.captureScreenshot", map[string]any{
			"format": "png", "captureBeyondViewport": true,
			"clip": map[string]any{"x": 0, "y": 0, "width": metrics.CSSContentSize.Width, "height": metrics.CSSContentSize.Height, "scale": 1},
		}, &shot))
		r.printPNG, err = base64.StdEncoding.DecodeString(shot.Data)
		must(err)
	}
	r.pdfs = map[string][]byte{}
	for paper, size := range map[string][2]float64{"a4": {8.27, 11.69}, "letter": {8.5, 11}} {
		var pdf struct {
			Data string `json:"data"`
		}
		must(b.call(ctx, s, "Page.printToPDF", map[string]any{"paperWidth": size[0], "paperHeight": size[1], "printBackground": true, "preferCSSPageSize": false}, &pdf))
		data, err := base64.StdEncoding.DecodeString(pdf.Data)
		must(err)
		r.pdfs[paper] = data
	}

	for _, e := range b.events(s) {
		switch e.Method {
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
				Args []struct {
					Value any `json:"value"`
				} `json:"args"`
			}
			json.Unmarshal(e.Params, &p)
			if p.Type == "error" || p.Type == "assert" || p.Type == "warning" {
				r.errors = append(r.errors, fmt.Sprintf("console.%s %v", p.Type, p.Args))
			}
		case "Runtime.exceptionThrown":
			r.errors = append(r.errors, "exception: "+string(e.Params))
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level, Source, Text, URL string
				} `json:"entry"`
			}
			json.Unmarshal(e.Params, &p)
			if p.Entry.Level == "error" || p.Entry.Level == "warning" {
				r.errors = append(r.errors, fmt.Sprintf("%s %s: %s %s", p.Entry.Level, p.Entry.Source, p.Entry.Text, p.Entry.URL))
			}
		case "Network.requestWillBeSent":
			var p struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			json.Unmarshal(e.Params, &p)
			if !strings.HasPrefix(p.Request.URL, "file:") && !strings.HasPrefix(p.Request.URL, "data:") && p.Request.URL != "about:blank" {
				r.requests = append(r.requests, p.Request.URL)
			}
		}
	}
	return r
}

func hasEvent(evs []cdpMsg, method string) bool {
	for _, e := range evs {
		if e.Method == method {
			return true
		}
	}
	return false
}
