// Package planfile is eradication-plan.json (report.PlanFile): the footholds
// a run's assessment found, each with what keyir needs to remove it. Every
// provider writes its own items into the one plan of a run; this package
// owns the envelope (version, run, incident, the items' ids and providers),
// each provider the shape of its own items. So the plan of a composed run
// (several keys, several providers) is the union of every step's items,
// with ids unique across them, and no provider rewrites another's items.
package planfile

import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "path/filepath"
import "slices"
import "sort"
import "strings"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// Version is the schema version of the plan. A plan without a provider
// (written before providers other than SendGrid had plans) is SendGrid's.
const Version = 1

// DefaultProvider is the provider of an item whose plan names none.
const DefaultProvider = "sendgrid"

// MaxFile bounds what is read of a plan: 100 keys, teammates, webhooks …
// per account come to well under a megabyte.
const MaxFile = 8 << 20

// File is the plan as read: the envelope, and each item whole (its
// provider decodes it).
type File struct {
	Version int `json:"version"`
	// Provider is the provider of every item that names none ("" =
	// DefaultProvider); written only when one provider has all the items.
	Provider string            `json:"provider,omitempty"`
	RunID    string            `json:"run_id"`
	Incident string            `json:"incident"`
	Created  time.Time         `json:"created"`
	Items    []json.RawMessage `json:"items"`
}

// Head is what every item has, whatever its provider.
type Head struct {
	ID       string `json:"id"`
	Provider string `json:"provider,omitempty"`
	Kind     string `json:"kind"`
}

// Read reads a run directory's plan; a run without one has an empty plan
// (ok false). The envelope is checked: the version, and every item an
// object with an id of its own.
func Read(dir string) (f *File, ok bool, err error) {
	b, err := safefile.ReadFile(filepath.Join(dir, report.PlanFile), MaxFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Version: Version}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	f, err = Parse(b)
	if err != nil {
		return nil, false, err
	}
	return f, true, nil
}

// Parse decodes and checks a plan's bytes.
func Parse(b []byte) (*File, error) {
	f := new(File)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%s: %w", report.PlanFile, err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%s: version %d, this keyir reads version %d", report.PlanFile, f.Version, Version)
	}
	seen := map[string]bool{}
	for i := range f.Items {
		h, err := f.head(i)
		if err != nil {
			return nil, err
		}
		if h.ID == "" || seen[h.ID] {
			return nil, fmt.Errorf("%s: item %d has a missing or repeated id %q", report.PlanFile, i+1, h.ID)
		}
		seen[h.ID] = true
	}
	return f, nil
}

func (f *File) head(i int) (Head, error) {
	var h Head
	if err := json.Unmarshal(f.Items[i], &h); err != nil {
		return Head{}, fmt.Errorf("%s: item %d: %w", report.PlanFile, i+1, err)
	}
	if h.Provider == "" {
		h.Provider = f.Provider
	}
	if h.Provider == "" {
		h.Provider = DefaultProvider
	}
	return h, nil
}

// Heads are the items' heads, in plan order, each with its provider.
func (f *File) Heads() []Head {
	out := make([]Head, 0, len(f.Items))
	for i := range f.Items {
		h, _ := f.head(i) // Parse checked every item
		out = append(out, h)
	}
	return out
}

// Of returns the items of one provider, in plan order.
func (f *File) Of(provider string) []json.RawMessage {
	var out []json.RawMessage
	for i, h := range f.Heads() {
		if h.Provider == provider {
			out = append(out, f.Items[i])
		}
	}
	return out
}

// IDNum is the number of an id "fh-07" (0 when it has none).
func IDNum(id string) int {
	var n int
	fmt.Sscanf(id, "fh-%d", &n)
	return n
}

// IDs hands out the ids of a provider's new items: unique across the whole
// plan, every provider's items counted.
type IDs struct {
	used map[string]bool
	next int
}

// NewIDs starts from the ids the plan's items hold, except those of the
// provider's items replace says are being replaced (they may be given
// again, to the same resource).
func NewIDs(f *File, provider string, replace func(Head) bool) *IDs {
	ids := &IDs{used: map[string]bool{}}
	for _, h := range f.Heads() {
		ids.next = max(ids.next, IDNum(h.ID))
		if h.Provider == provider && replace(h) {
			continue
		}
		ids.used[h.ID] = true
	}
	return ids
}

// Reserve keeps an id an item comes with (the parent's id of an item still
// open); false when another item holds it.
func (ids *IDs) Reserve(id string) bool {
	if id == "" || ids.used[id] {
		return false
	}
	ids.used[id] = true
	ids.next = max(ids.next, IDNum(id))
	return true
}

// New is the next free id.
func (ids *IDs) New() string {
	for {
		ids.next++
		id := fmt.Sprintf("fh-%02d", ids.next)
		if !ids.used[id] {
			ids.used[id] = true
			return id
		}
	}
}

// RunFileWriter is the runner's recorder: it writes a tracked file of the
// run directory and journals a note.
type RunFileWriter interface {
	WriteRunFile(name string, data []byte, note string) error
}

// Replace writes the plan with the provider's items that replace says this
// step owns swapped for items (each already carrying its id and provider),
// every other item kept as it was, sorted by id. run and incident name the
// run writing it; created is used when the plan is new.
func Replace(w RunFileWriter, f *File, provider string, replace func(Head) bool, items []json.RawMessage, run, incident string, created time.Time, note string) error {
	type entry struct {
		id  string
		raw json.RawMessage
	}
	var all []entry
	provs := map[string]bool{}
	for i, h := range f.Heads() {
		if h.Provider == provider && replace(h) {
			continue
		}
		raw, err := withProvider(f.Items[i], h.Provider)
		if err != nil {
			return err
		}
		all = append(all, entry{h.ID, raw})
		provs[h.Provider] = true
	}
	for _, raw := range items {
		raw, err := withProvider(raw, provider)
		if err != nil {
			return err
		}
		var h Head
		if err := json.Unmarshal(raw, &h); err != nil {
			return err
		}
		if h.Provider != provider {
			return fmt.Errorf("%s: item %s is %s's, written by %s", report.PlanFile, h.ID, h.Provider, provider)
		}
		all = append(all, entry{h.ID, raw})
		provs[provider] = true
	}
	sort.SliceStable(all, func(i, j int) bool { return IDNum(all[i].id) < IDNum(all[j].id) })
	out := File{Version: Version, RunID: run, Incident: incident, Created: f.Created, Items: []json.RawMessage{}}
	if out.Created.IsZero() {
		out.Created = created.UTC().Truncate(time.Second)
	}
	if len(provs) == 1 {
		for p := range provs {
			out.Provider = p
		}
	}
	for _, e := range all {
		out.Items = append(out.Items, e.raw)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return w.WriteRunFile(report.PlanFile, append(b, '\n'), note)
}

// withProvider gives an item that names no provider its provider (each item
// names its own, so a union of providers' items reads the same whatever
// the plan's default); an item that names one is kept byte for byte.
func withProvider(raw json.RawMessage, provider string) (json.RawMessage, error) {
	var h Head
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	if h.Provider != "" {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	p, _ := json.Marshal(provider)
	m["provider"] = p
	return json.Marshal(m)
}

// Select returns the indexes of the heads named by only (all when empty),
// in plan order; an id the plan does not have is an error.
func Select(heads []Head, only []string) ([]int, error) {
	var out []int
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	for i, h := range heads {
		if len(only) == 0 || want[h.ID] {
			out = append(out, i)
			delete(want, h.ID)
		}
	}
	if len(want) > 0 {
		ids := make([]string, 0, len(want))
		for id := range want {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return nil, fmt.Errorf("the plan has no item %s", strings.Join(ids, ", "))
	}
	return out, nil
}
