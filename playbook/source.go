package playbook

import (
	"errors"

	"github.com/keyir/keyir/redact"
)

// checkSource refuses a playbook whose path holds a key or a secret the
// redactor knows (a key pasted as a directory or file name): the path is
// recorded in run.json and the reports as it is, because resume opens the
// playbook again by it, so it cannot be redacted there. The path is not
// quoted; its key-shaped words are registered.
func checkSource(src string, r *redact.Redactor) error {
	if redact.LooksLikeKey(src) {
		r.AddShapes(src)
		return errors.New("the playbook's path has the shape of an API key (it is not shown); rename the file or its directory")
	}
	if r.Contains(src) {
		return errors.New("the playbook's path contains a secret keyir holds (it is not shown); rename the file or its directory")
	}
	return nil
}
