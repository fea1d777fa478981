// Reading the YAML text: the safety policy and the strict node reader are
// yamlsafe's; this file words their refusals for a playbook.

package playbook

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/yamlsafe"

// parse decodes the one YAML document of a playbook into a node tree under
// yamlsafe's policy and returns its top mapping, or nil with the problem
// recorded.
func (l *loader) parse(data []byte) *yaml.Node {
	top, err := yamlsafe.Parse(data, yamlsafe.Doc{Name: "playbook", Want: "name, inputs and steps"})
	if err != nil {
		l.at(err.Line, err.Col, "%s", err.Msg)
	}
	return top
}
