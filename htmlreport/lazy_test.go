package htmlreport

import "testing"

// The page template and the SVG expressions are compiled on first use, not
// at start-up: a malformed one fails here, whatever report the other tests
// happen to render.
func TestLazyTemplateAndExpressionsCompile(t *testing.T) {
	if htmlTmpl().Lookup("report.html.tmpl") == nil {
		t.Error("report.html.tmpl not parsed")
	}
	if !svgProlog().MatchString(`<?xml version="1.0"?><!-- x --><svg>`) || svgOpenTag().FindStringSubmatch(`<svg viewBox="0 0 10 10">`) == nil {
		t.Error("the SVG prolog and open tag expressions do not match")
	}
	if !svgFontFamily().MatchString("font-family:Liberation Sans;") || !svgBadStyle().MatchString("fill:url(#x)") || svgBadStyle().MatchString("fill:#fff") {
		t.Error("the SVG style expressions do not match")
	}
}
