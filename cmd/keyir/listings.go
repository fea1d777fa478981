package main

import "encoding/json"

import "github.com/keyir/keyir/provider"

// listScenariosAs is `keyir drill --list`, as a table or, with --output
// json, one document: {"scenarios": [{"name", "description"}]}.
func (a *app) listScenariosAs(output string) error {
	if err := checkOutput(output); err != nil {
		return err
	}
	if output != "json" {
		return a.listScenarios()
	}
	type scenario struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Provider    string `json:"provider"`
	}
	doc := struct {
		Scenarios []scenario `json:"scenarios"`
	}{Scenarios: []scenario{}}
	for _, s := range provider.Scenarios() {
		doc.Scenarios = append(doc.Scenarios, scenario{s.Name, s.Description, s.Provider})
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
