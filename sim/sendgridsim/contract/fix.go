package contract

import "encoding/json"
import "fmt"
import "slices"

// SpecFix is a mechanical correction applied to every spec file before validation.
type SpecFix struct {
	Name   string
	Reason string
	apply  func(doc any) int // returns the number of places changed
}

// Fixes are the spec corrections. They are part of the allow-list in spirit: each is a spec
// bug, documented here, and the simulator's test asserts each one still changes something.
var Fixes = []SpecFix{{
	Name: "nullable-3.0-keyword",
	Reason: "the files declare openapi 3.1.0 but mark nullable fields with the OpenAPI 3.0 keyword " +
		"`nullable: true` (e.g. errors[].field in every error response). JSON Schema 2020-12 has no such " +
		"keyword and libopenapi-validator v0.16.2 refuses to compile those schemas for 3.1 (\"The `nullable` " +
		"keyword is not supported in OpenAPI 3.1+\"), which would leave every error response unvalidated. " +
		"The fix rewrites `type: T, nullable: true` to `type: [T, \"null\"]` (anyOf with null when there is no " +
		"type), which is what the spec authors meant.",
	apply: fixNullable,
}}

func fixNullable(doc any) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if nb, ok := x["nullable"].(bool); ok {
				delete(x, "nullable")
				n++
				if nb {
					makeNullable(x)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	return n
}

func makeNullable(s map[string]any) {
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, nil) {
		s["enum"] = append(e, nil)
	}
	switch t := s["type"].(type) {
	case string:
		s["type"] = []any{t, "null"}
		return
	case []any:
		if !slices.Contains(t, any("null")) {
			s["type"] = append(t, "null")
		}
		return
	}
	inner := map[string]any{}
	for k, v := range s {
		if k == "description" || k == "title" || k == "example" {
			continue
		}
		inner[k] = v
		delete(s, k)
	}
	s["anyOf"] = []any{inner, map[string]any{"type": "null"}}
}

// applyFixes returns the corrected spec and how many places each fix changed.
func applyFixes(raw []byte) ([]byte, map[string]int, error) {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse: %w", err)
	}
	counts := map[string]int{}
	for _, f := range Fixes {
		counts[f.Name] += f.apply(doc)
	}
	out, err := json.Marshal(doc)
	return out, counts, err
}
