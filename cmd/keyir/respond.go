package main

import "context"
import "fmt"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"

// respondInputFlags are the convenience flags of `keyir run` that mean the
// same for every kind of key: the exposure window. A kind's playbook that
// does not take one refuses the flag, as `keyir run` does.
var respondInputFlags = []string{"window-start", "window-end"}

func (a *app) respondCommand() *cli.Command {
	flags := append(commonRunFlags(), inputFlag())
	flags = append(flags, leakedKeyFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "from", EnvVars: []string{"KEYIR_FROM"}, Usage: "a secret scanner's JSON report `FILE`: respond to every key in it, in one incident"},
		&cli.StringFlag{Name: "format", Value: "auto", Usage: "the --from report's format: gitleaks, trufflehog, kingfisher or auto"},
	)
	flags = append(flags, notifyFlags(true)...)
	flags = append(flags, inputFlagsOf(respondInputFlags)...)
	return &cli.Command{
		Name:      "respond",
		Usage:     "recognise a leaked key (or every key a scanner found) and run its built-in response",
		ArgsUsage: " ",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				for _, arg := range c.Args().Slice() {
					a.red.AddShapes(arg)
				}
				return usageErr(fmt.Errorf("respond takes no arguments: give the key with --key - (stdin) or --key-file, or a scanner's report with --from"))
			}
			// --key and --input have their own, more precise refusals.
			if err := a.refuseKeyShapedFlags(c, "key", "input"); err != nil {
				return err
			}
			o, err := a.runOptionsOf(c)
			if err != nil {
				return err
			}
			// Inputs a kind's playbook takes beyond the key (a GitHub
			// organization, a baseline): one that it does not declare is
			// refused by name, as keyir run refuses it.
			o.inputs = c.StringSlice("input")
			if err := checkOutput(o.output); err != nil {
				return err
			}
			from := c.String("from")
			switch {
			case from != "" && o.keyFrom != "":
				return usageErr(fmt.Errorf("--from and --key/--key-file are exclusive: respond to one key, or to every key of a scanner's report"))
			case from != "":
				return a.respondFrom(c.Context, o, from, c.String("format"))
			case o.keyFrom == "":
				return usageErr(fmt.Errorf("respond needs the leaked key: --key - (stdin) or --key-file FILE; or a scanner's report: --from FILE"))
			case c.IsSet("format"):
				return usageErr(fmt.Errorf("--format applies to --from only"))
			}
			return a.respondKey(c.Context, o)
		},
	}
}

// respondKey reads one leaked key, recognises its kind and runs the kind's
// built-in playbook as `keyir run` would.
func (a *app) respondKey(ctx context.Context, o runOptions) error {
	key, err := a.readKey(o.keyFrom) // registered with the redactor
	if err != nil {
		return err
	}
	kind, err := provider.Recognise(key)
	if err != nil {
		return usageErr(err)
	}
	pb, err := playbook.Builtin(kind.Playbook)
	if err != nil {
		return a.reportLoadError(err)
	}
	fmt.Fprintf(a.errOut, "keyir: this is %s (fingerprint %s): responding with %s\n", kind.Named(), redact.Fingerprint(key), kind.Playbook)
	o.playbook = kind.Playbook
	o.keyFrom = ""
	o.keys = map[string]string{kind.KeyInput(): key}
	return a.runResolved(ctx, pb, o)
}
