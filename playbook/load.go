package playbook

import "crypto/sha256"
import "encoding/hex"
import "errors"
import "fmt"
import "regexp"
import "sort"
import "time"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/safefile"
import "github.com/keyir/keyir/yamlsafe"

// Limits on what Load accepts. A playbook may come from anywhere (a pasted
// gist, a PR), and `keyir validate` is run on untrusted files, so the loader
// must stay cheap and predictable on hostile input.
const (
	// MaxSize is the largest playbook accepted; real ones are a few KiB.
	MaxSize = 1 << 20
	// MaxDepth bounds nesting of mappings and lists: yamlsafe's policy.
	MaxDepth = yamlsafe.MaxDepth
	// MaxTimeout bounds a step's timeout: a step that may hang for longer
	// than an hour during an incident should be split or run by hand.
	MaxTimeout = time.Hour
	// MaxRetries bounds extra attempts of a step.
	MaxRetries = 10
)

var (
	inputNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	stepIDRE    = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

	topFields   = []string{"name", "description", "inputs", "credentials", "steps"}
	inputFields = []string{"type", "description", "required", "default", "pattern", "secret"}
	stepFields  = []string{"id", "action", "with", "if", "on_error", "timeout", "retries"}
	inputTypes  = []string{actions.TypeString, actions.TypeInt, actions.TypeBool, actions.TypeDuration, actions.TypeTime, actions.TypeList}
)

// LoadFile reads and loads a playbook file: a regular file only, never
// through a symbolic link, never blocking (a FIFO is refused, not waited
// on), and at most MaxSize bytes, checked before anything is allocated.
func LoadFile(path string) (*Playbook, error) {
	data, err := safefile.ReadFile(path, MaxSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("%w: a playbook larger than %d bytes is refused", err, MaxSize)
	}
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// Load parses and validates a playbook. Every problem is reported, in source
// order, as a Problems error, so a responder fixing a playbook under pressure
// sees all of it in one `keyir validate` rather than one error per attempt.
// Positions are those of the offending YAML node: the key for an unknown
// field, the value for a bad value. file is used only in positions.
func Load(file string, data []byte) (*Playbook, error) {
	l := &loader{file: file}
	pb := l.load(data)
	if len(l.probs) > 0 {
		sort.SliceStable(l.probs, func(i, j int) bool {
			a, b := l.probs[i].Pos, l.probs[j].Pos
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, l.probs
	}
	sum := sha256.Sum256(data)
	pb.Source = file
	pb.SHA256 = hex.EncodeToString(sum[:])
	pb.text = string(data)
	return pb, nil
}

type loader struct {
	file  string
	probs Problems
	creds []Credential // declared credentials, for the steps that name one
	// badCreds are declared credentials refused with a problem: a step
	// naming one is not reported again as naming an undeclared one.
	badCreds map[string]bool
}

func (l *loader) at(line, col int, format string, args ...any) {
	l.probs = append(l.probs, Problem{Pos: Pos{File: l.file, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) errf(n *yaml.Node, format string, args ...any) {
	l.at(n.Line, n.Column, format, args...)
}

func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.file, Line: n.Line, Col: n.Column} }

func (l *loader) load(data []byte) *Playbook {
	if len(data) > MaxSize {
		l.at(1, 1, "playbook is larger than %d bytes (1 MiB); a playbook is a few KiB", MaxSize)
		return nil
	}
	top := l.parse(data)
	if top == nil {
		return nil
	}
	pb := &Playbook{}
	f := l.mapping(top, "field", "the playbook", topFields)
	if n := f.val("name"); n == nil {
		l.at(top.Line, top.Column, "name is missing")
	} else if s, ok := l.str(n, "name"); ok {
		if s == "" {
			l.errf(n, "name is empty")
		}
		pb.Name = s
	}
	if n := f.val("description"); n != nil {
		pb.Description, _ = l.str(n, "description")
	}
	inputs := map[string]bool{}
	if n := f.val("inputs"); n != nil {
		pb.Inputs = l.inputs(n)
		for _, in := range pb.Inputs {
			inputs[in.Name] = true
		}
	}
	if n := f.val("credentials"); n != nil {
		pb.Credentials = l.credentials(n, pb.Inputs)
		l.creds = pb.Credentials
	}
	if n := f.val("steps"); n == nil {
		l.at(top.Line, top.Column, "steps is missing")
	} else {
		pb.Steps = l.steps(n, pb.Inputs)
	}
	return pb
}
