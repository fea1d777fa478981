package main

import "context"
import "errors"
import "fmt"
import "net/http"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// optionalDoctors checks the responder credentials a run can go without
// (provider.Doctor.Optional: GitHub's GITHUB_TOKEN, Slack's admin and org
// tokens), one line each among doctor's checks: ok, a warning when one is
// not set (saying what the run will not assess), a failure when one is set
// but refused or short of a scope. Those of the providers whose actions pb
// uses; with every, those of all providers (doctor asked about no
// playbook), each for its own response playbooks.
func (a *app) optionalDoctors(ctx context.Context, pb *playbook.Playbook, every bool) []doctorCheck {
	var checks []doctorCheck
	env := actions.StandaloneEnv("doctor", a.getenv, a.readFile, a.red, http.DefaultTransport)
	for _, p := range provider.All() {
		if p.Doctor == nil || !p.Doctor.Optional {
			continue
		}
		uses, names := pb.Name, actionsOf(pb, p.Name)
		if len(names) == 0 && every {
			var pbs []string
			for _, k := range p.Keys {
				if other, err := playbook.Builtin(k.Playbook); err == nil && !strings.Contains(strings.Join(pbs, " "), other.Name) {
					pbs = append(pbs, other.Name)
					names = append(names, actionsOf(other, p.Name)...)
				}
			}
			uses = strings.Join(pbs, ", ")
		}
		if len(names) == 0 {
			continue
		}
		checks = append(checks, optionalDoctor(ctx, env, p, uses, names)...)
	}
	return checks
}

// optionalDoctor is one provider's lines.
func optionalDoctor(ctx context.Context, env *actions.Env, p provider.Info, uses string, names []string) []doctorCheck {
	name := p.Name + "_token"
	needed := p.Doctor.Needs(names)
	missing, excess, err := p.Doctor.Check(ctx, env, needed)
	var out []doctorCheck
	var warn *provider.DoctorWarning
	switch {
	case errors.As(err, &warn):
		out = append(out, doctorCheck{name, "warn", warn.Detail})
	case err != nil:
		return []doctorCheck{{name, "fail", env.Redactor.String(err.Error())}}
	}
	switch {
	case len(missing) > 0:
		out = append(out, doctorCheck{name, "fail", fmt.Sprintf("%s lacks %s %s needs: %s", p.Doctor.Credential, report.Count(len(missing), "scope", "scopes"), uses, strings.Join(missing, ", "))})
	case warn == nil && len(needed) == 0:
		out = append(out, doctorCheck{name, "ok", fmt.Sprintf("%s: %s accepts it; %s needs no scope of it", p.Doctor.Credential, p.Title, uses)})
	case warn == nil:
		out = append(out, doctorCheck{name, "ok", fmt.Sprintf("%s: %s accepts it, with every scope %s needs (%s)", p.Doctor.Credential, p.Title, uses, strings.Join(needed, ", "))})
	}
	if len(excess) > 0 {
		out = append(out, doctorCheck{name, "warn", fmt.Sprintf("%s has %s %s does not need (least privilege: remove %s): %s", p.Doctor.Credential, report.Count(len(excess), "scope", "scopes"), uses, itThem(len(excess)), strings.Join(excess, ", "))})
	}
	return out
}

// actionsOf are the actions of pb's steps that are provider name's.
func actionsOf(pb *playbook.Playbook, name string) []string {
	var out []string
	for _, s := range pb.Steps {
		if strings.HasPrefix(s.Action, name+".") {
			out = append(out, s.Action)
		}
	}
	return out
}

// actionsOfOptional are pb's actions of the providers whose responder
// credential is optional.
func actionsOfOptional(pb *playbook.Playbook) []string {
	var out []string
	for _, p := range provider.All() {
		if p.Doctor != nil && p.Doctor.Optional {
			out = append(out, actionsOf(pb, p.Name)...)
		}
	}
	return out
}
