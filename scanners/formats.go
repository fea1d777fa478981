package scanners

import "bytes"
import "encoding/json"
import "fmt"
import "strconv"

// gitleaksFinding is one element of gitleaks' JSON report (gitleaks detect
// --report-format json): an array of findings.
type gitleaksFinding struct {
	RuleID    string `json:"RuleID"`
	Secret    string `json:"Secret"`
	Match     string `json:"Match"`
	File      string `json:"File"`
	StartLine int    `json:"StartLine"`
	Commit    string `json:"Commit"`
}

// readGitleaks decodes the array element by element, so the findings
// before a malformed one have their secrets registered.
func readGitleaks(data []byte, reg *registrar) ([]Finding, error) {
	c := &collector{reg: reg}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, &Error{"not a gitleaks report: gitleaks' JSON report is an array of findings"}
	}
	for n := 1; dec.More(); n++ {
		var g gitleaksFinding
		if err := dec.Decode(&g); err != nil {
			return nil, &Error{fmt.Sprintf("gitleaks report: finding %d (near byte %d) is not a gitleaks finding", n, dec.InputOffset())}
		}
		if err := c.add(Finding{Rule: g.RuleID, File: g.File, Line: g.StartLine, Commit: g.Commit, Secret: g.Secret}, g.Match); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, &Error{fmt.Sprintf("gitleaks report: the array is not closed (near byte %d)", dec.InputOffset())}
	}
	if dec.More() {
		return nil, &Error{"gitleaks report: more than one JSON document"}
	}
	return c.out, nil
}

// truffleHogFinding is one line of TruffleHog's --json output. Where the
// secret was found depends on the source: SourceMetadata.Data has one key
// (Git, Github, Filesystem …) whose object names the file, line and, for
// git sources, the commit.
type truffleHogFinding struct {
	SourceMetadata struct {
		Data map[string]map[string]any `json:"Data"`
	} `json:"SourceMetadata"`
	DetectorName string `json:"DetectorName"`
	Raw          string `json:"Raw"`
	RawV2        string `json:"RawV2"`
	Redacted     string `json:"Redacted"`
}

func readTruffleHog(data []byte, reg *registrar) ([]Finding, error) {
	c := &collector{reg: reg}
	err := values(data, "TruffleHog output", func(raw json.RawMessage) error {
		var t truffleHogFinding
		if err := json.Unmarshal(raw, &t); err != nil {
			return &Error{"TruffleHog output: a line is not a TruffleHog finding (want the JSON lines of trufflehog --json)"}
		}
		f := Finding{Rule: t.DetectorName, Secret: t.Raw}
		for _, src := range t.SourceMetadata.Data {
			f.File = str(src["file"])
			if f.File == "" {
				f.File = str(src["path"])
			}
			f.Line = num(src["line"])
			f.Commit = str(src["commit"])
			break // one source per finding
		}
		if f.Secret == "" {
			f.Secret = t.RawV2
		}
		// RawV2 is the secret with what verifies it (an AWS key id and its
		// secret): secret as a whole.
		reg.secrets = append(reg.secrets, t.RawV2)
		return c.add(f, t.RawV2)
	})
	return c.out, err
}

// kingfisherFinding is one finding of Kingfisher's JSON report
// ({"findings": [...]}) or one line of its JSON lines: the rule, and the
// finding with its snippet (the secret), path and line; git_metadata, when
// the source was a repository, names the commit.
type kingfisherFinding struct {
	Rule struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rule"`
	Finding struct {
		Snippet     string `json:"snippet"`
		Path        string `json:"path"`
		Line        int    `json:"line"`
		GitMetadata struct {
			Commit struct {
				ID string `json:"id"`
			} `json:"commit"`
		} `json:"git_metadata"`
	} `json:"finding"`
}

func readKingfisher(data []byte, reg *registrar) ([]Finding, error) {
	c := &collector{reg: reg}
	add := func(raw json.RawMessage) error {
		var k kingfisherFinding
		if err := json.Unmarshal(raw, &k); err != nil {
			return &Error{"Kingfisher report: a finding is not a Kingfisher finding (want kingfisher scan --format json or jsonl)"}
		}
		rule := k.Rule.ID
		if rule == "" {
			rule = k.Rule.Name
		}
		return c.add(Finding{Rule: rule, File: k.Finding.Path, Line: k.Finding.Line, Commit: k.Finding.GitMetadata.Commit.ID, Secret: k.Finding.Snippet})
	}
	err := values(data, "Kingfisher report", func(raw json.RawMessage) error {
		var doc struct {
			Findings []json.RawMessage `json:"findings"`
		}
		// A document with findings (--format json), else one finding a line
		// (--format jsonl); its summary lines have neither and are skipped.
		if json.Unmarshal(raw, &doc) == nil && doc.Findings != nil {
			for _, f := range doc.Findings {
				if err := add(f); err != nil {
					return err
				}
			}
			return nil
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return &Error{"Kingfisher report: a value is not a JSON object"}
		}
		if !has(probe, "finding") {
			return nil
		}
		return add(raw)
	})
	return c.out, err
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	switch n := v.(type) {
	case float64:
		if n >= 0 && n < 1<<31 {
			return int(n)
		}
	case string:
		i, _ := strconv.Atoi(n)
		return max(i, 0)
	}
	return 0
}
