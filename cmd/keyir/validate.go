package main

import "fmt"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

func (a *app) validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check playbook files; every problem is printed as FILE:LINE:COL: message",
		ArgsUsage: "FILE...",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageErr(fmt.Errorf("validate takes one or more playbook files"))
			}
			return a.validate(c.Args().Slice())
		},
	}
}

// validate checks every file, printing all problems of all files, and exits
// 2 when any file has one.
func (a *app) validate(files []string) error {
	bad := 0
	for _, f := range files {
		pb, err := playbook.LoadFile(f)
		if err != nil {
			bad++
			if probs, ok := err.(playbook.Problems); ok {
				for _, p := range probs {
					a.printProblem(p.Error())
				}
				continue
			}
			a.printProblem(fmt.Sprintf("%s: %v", f, err))
			continue
		}
		pb.RegisterShapes(a.red)
		fmt.Fprintf(a.out, "%s: ok — playbook %s, %d inputs, %d steps\n", render.EscapedLine(f), render.EscapedLine(pb.Name), len(pb.Inputs), len(pb.Steps))
	}
	if bad > 0 {
		return &exitError{code: report.ExitUsage, err: fmt.Errorf("%d of %d playbooks invalid", bad, len(files)), reported: true}
	}
	return nil
}
