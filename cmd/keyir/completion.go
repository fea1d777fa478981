package main

import "fmt"
import "io"
import "sort"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/playbook"

func (a *app) completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr(fmt.Errorf("completion takes one shell: bash, zsh or fish"))
			}
			// The script is generated from the command tree this binary
			// has, so it never offers a command or flag that does not exist.
			tree := completionTree(c.App.Commands)
			switch sh := c.Args().First(); sh {
			case "bash":
				writeBash(a.out, tree)
			case "zsh":
				writeZsh(a.out, tree)
			case "fish":
				writeFish(a.out, tree)
			default:
				a.red.AddShapes(sh)
				return usageErr(fmt.Errorf("completion: unknown shell %q%s (bash, zsh or fish)", sh, suggestion(sh, []string{"bash", "zsh", "fish"})))
			}
			return nil
		},
	}
}

// compNode is one command of the tree: its path ("keyir report"), its
// subcommands, its flags (with whether each takes a value) and, for run, the
// built-in playbooks it takes.
type compNode struct {
	path  string
	usage string
	subs  []*compNode
	flags []compFlag
	args  []string
}

type compFlag struct {
	name, usage string
	value       bool
}

func completionTree(cmds []*cli.Command) *compNode {
	root := &compNode{path: "keyir", flags: []compFlag{{"help", "show help", false}, {"version", "print the version", false}}}
	var walk func(n *compNode, cmds []*cli.Command)
	walk = func(n *compNode, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			child := &compNode{path: n.path + " " + c.Name, usage: c.Usage}
			for _, f := range c.Flags {
				_, isBool := f.(*cli.BoolFlag)
				usage := ""
				if df, ok := f.(cli.DocGenerationFlag); ok {
					usage = df.GetUsage()
				}
				for _, name := range f.Names() {
					if len(name) > 1 && name != "help" {
						child.flags = append(child.flags, compFlag{name, strings.ReplaceAll(usage, "`", ""), !isBool})
					}
				}
			}
			child.flags = append(child.flags, compFlag{"help", "show help", false})
			switch child.path {
			case "keyir run", "keyir doctor", "keyir playbooks show":
				child.args = playbook.BuiltinNames()
			}
			walk(child, c.Subcommands)
			n.subs = append(n.subs, child)
		}
	}
	walk(root, cmds)
	return root
}

func (n *compNode) each(fn func(*compNode)) {
	fn(n)
	for _, s := range n.subs {
		s.each(fn)
	}
}

func (n *compNode) words() []string {
	var w []string
	for _, s := range n.subs {
		w = append(w, strings.TrimPrefix(s.path, n.path+" "))
	}
	w = append(w, n.args...)
	for _, f := range n.flags {
		w = append(w, "--"+f.name)
	}
	return w
}

// commandValues are the values of a flag whose meaning depends on the
// command ("keyir respond --format" is a scanner, not a report format);
// they come before valueCompletions' in every script.
func commandValues() map[string][]string {
	return map[string][]string{
		"keyir respond --format": {"auto", "gitleaks", "trufflehog", "kingfisher"},
	}
}

// valueCases are the cases of the scripts' "$cmdpath $prev" switch: each
// command's own flag values first, then the flags' everywhere.
func valueCases() (pats []string, vals [][]string) {
	cmd := commandValues()
	for _, k := range sortedKeys(cmd) {
		pats, vals = append(pats, fmt.Sprintf("%q", k)), append(vals, cmd[k])
	}
	all := valueCompletions()
	for _, k := range sortedKeys(all) {
		pats, vals = append(pats, fmt.Sprintf("*%q", " "+k)), append(vals, all[k])
	}
	return pats, vals
}

// valueFlags are the flags whose values completion offers: scenarios,
// output formats, regions.
func valueCompletions() map[string][]string {
	return map[string][]string{
		"--scenario": drill.ScenarioNames(),
		"--output":   {"text", "json"},
		"--format":   {"md", "json", "html"},
		"--region":   {"global", "eu"},
	}
}

// shellSpelling is what bash and zsh spell differently in the one script
// both completions are: follow the words typed so far down the command tree,
// offer a flag's values after the flag, else the command's own words.
type shellSpelling struct {
	first, count, words string // the loop over the words typed: first index, count, array
	prev                string // the word before the cursor
	valueArm            string // a flag's arm, given the flag and its values joined
	beforeWords         string // lines before the command's words are offered
	wordsArm            string // a command's arm, given its path and its words joined
}

// writeWordWalk writes the part of the script bash and zsh share, so the
// command tree and the value flags are walked in one place for both.
func writeWordWalk(w io.Writer, tree *compNode, sh shellSpelling) {
	fmt.Fprintf(w, "    for ((i = %s; i < %s; i++)); do\n        case \"$cmdpath ${%s[i]}\" in\n", sh.first, sh.count, sh.words)
	tree.each(func(n *compNode) {
		if n != tree {
			fmt.Fprintf(w, "            %q) cmdpath=%q ;;\n", n.path, n.path)
		}
	})
	fmt.Fprintf(w, "        esac\n    done\n    case %s in\n", sh.prev)
	pats, vals := valueCases()
	for i, p := range pats {
		fmt.Fprintf(w, sh.valueArm, p, strings.Join(vals[i], " "))
	}
	fmt.Fprint(w, "    esac\n"+sh.beforeWords+"    case \"$cmdpath\" in\n")
	tree.each(func(n *compNode) {
		fmt.Fprintf(w, sh.wordsArm, n.path, strings.Join(n.words(), " "))
	})
	fmt.Fprint(w, "    esac\n")
}

func writeBash(w io.Writer, tree *compNode) {
	fmt.Fprint(w, `# keyir bash completion: source <(keyir completion bash)
_keyir() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmdpath=keyir i
`)
	writeWordWalk(w, tree, shellSpelling{
		first: "1", count: "COMP_CWORD", words: "COMP_WORDS", prev: `"$cmdpath $prev"`,
		valueArm:    "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n",
		beforeWords: "    local words=\"\"\n",
		wordsArm:    "        %q) words=%q ;;\n",
	})
	fmt.Fprint(w, `    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _keyir keyir
`)
}

func writeZsh(w io.Writer, tree *compNode) {
	fmt.Fprint(w, `#compdef keyir
# keyir zsh completion: keyir completion zsh > "${fpath[1]}/_keyir", or source <(keyir completion zsh)
_keyir() {
    local cmdpath=keyir i
`)
	writeWordWalk(w, tree, shellSpelling{
		first: "2", count: "CURRENT", words: "words", prev: `"$cmdpath ${words[CURRENT-1]}"`,
		valueArm: "        %s) compadd -- %s; return ;;\n",
		wordsArm: "        %q) compadd -- %s ;;\n",
	})
	fmt.Fprint(w, `    _files
}
if [ "$funcstack[1]" = "_keyir" ]; then
    _keyir "$@"
else
    compdef _keyir keyir
fi
`)
}

func writeFish(w io.Writer, tree *compNode) {
	fmt.Fprintln(w, "# keyir fish completion: keyir completion fish > ~/.config/fish/completions/keyir.fish")
	fmt.Fprintln(w, "complete -c keyir -f")
	vals := valueCompletions()
	tree.each(func(n *compNode) {
		// The condition: every word of the path seen, none of the
		// subcommands yet.
		parts := strings.Fields(n.path)[1:]
		var cond []string
		if len(parts) == 0 {
			cond = append(cond, "__fish_use_subcommand")
		}
		for _, p := range parts {
			cond = append(cond, "__fish_seen_subcommand_from "+p)
		}
		var subNames []string
		for _, s := range n.subs {
			subNames = append(subNames, strings.TrimPrefix(s.path, n.path+" "))
		}
		if len(parts) > 0 && len(subNames) > 0 {
			cond = append(cond, "not __fish_seen_subcommand_from "+strings.Join(subNames, " "))
		}
		c := fishQuote(strings.Join(cond, "; and "))
		for _, s := range n.subs {
			fmt.Fprintf(w, "complete -c keyir -n %s -a %s -d %s\n", c, strings.TrimPrefix(s.path, n.path+" "), fishQuote(s.usage))
		}
		for _, arg := range n.args {
			fmt.Fprintf(w, "complete -c keyir -n %s -a %s -d 'built-in playbook'\n", c, arg)
		}
		for _, f := range n.flags {
			line := fmt.Sprintf("complete -c keyir -n %s -l %s -d %s", c, f.name, fishQuote(f.usage))
			if f.value {
				line += " -r"
				v, ok := commandValues()[n.path+" --"+f.name]
				if !ok {
					v, ok = vals["--"+f.name]
				}
				if ok {
					line += " -a " + fishQuote(strings.Join(v, " "))
				} else {
					line += " -F"
				}
			}
			fmt.Fprintln(w, line)
		}
	})
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func sortedKeys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
