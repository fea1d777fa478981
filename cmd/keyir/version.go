package main

import "fmt"

import "github.com/urfave/cli/v2"

func (a *app) versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print keyir's version (also keyir --version)",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(a.out, versionString())
			return nil
		},
	}
}
