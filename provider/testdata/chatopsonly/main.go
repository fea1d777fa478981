// Command chatopsonly links keyir's chatops package and nothing else of
// keyir's: the built-in SendGrid playbook must load and validate (its
// notify.* and sendgrid.* actions registered) without actions/all.
package main

import "fmt"
import "os"

import _ "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/playbook"

func main() {
	for _, name := range playbook.BuiltinNames() {
		if _, err := playbook.Builtin(name); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	fmt.Println("ok", playbook.BuiltinNames())
}
