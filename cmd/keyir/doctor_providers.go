package main

import "context"
import "net/http"
import "sort"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"

// defaultDoctorPlaybook is what `keyir doctor` checks without a PLAYBOOK:
// the response playbook of the first provider (by name) with a doctor
// check.
func defaultDoctorPlaybook() string {
	for _, p := range provider.All() {
		for _, k := range p.Keys {
			if p.Doctor != nil && !p.Doctor.Optional && k.Playbook != "" {
				return k.Playbook
			}
		}
	}
	return ""
}

// doctorResult is what the doctors of the providers a playbook uses found,
// merged: each provider's permissions have their own names.
type doctorResult struct {
	needed, missing, excess, notes []string
	// checked is how many providers' credentials were read.
	checked int
}

// runDoctors runs the doctor check of every provider whose actions the
// playbook's steps use.
func (a *app) runDoctors(ctx context.Context, actionNames []string) (doctorResult, error) {
	var r doctorResult
	env := actions.StandaloneEnv("doctor", a.getenv, a.readFile, a.red, http.DefaultTransport)
	for _, p := range provider.DoctorsFor(actionNames) {
		if p.Doctor.Optional {
			continue // a line of its own (doctor_optional.go)
		}
		needed := p.Doctor.Needs(actionNames)
		missing, excess, err := p.Doctor.Check(ctx, env, needed)
		if err != nil {
			return r, err
		}
		r.checked++
		r.needed = append(r.needed, needed...)
		r.missing = append(r.missing, missing...)
		r.excess = append(r.excess, excess...)
		if p.Doctor.Notes != nil {
			r.notes = append(r.notes, p.Doctor.Notes(actionNames)...)
		}
	}
	sort.Strings(r.needed)
	return r, nil
}
