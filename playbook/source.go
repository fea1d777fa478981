package playbook

import "errors"

import "github.com/keyir/keyir/redact"

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

// RegisterShapes registers with r every key-shaped word of the playbook's
// text (a key pasted into a note, a description, a name), whole, so that it
// and any run of it are redacted wherever they are printed or written. Every
// command that loads a playbook calls it before printing anything of it.
func (pb *Playbook) RegisterShapes(r *redact.Redactor) {
	if pb != nil && r != nil {
		r.AddShapes(pb.text)
	}
}

// checkReportsRoot refuses a reports directory whose path holds a key or a
// secret keyir holds: the run directory is created under it, so the secret
// would become part of a file name.
func checkReportsRoot(root string, r *redact.Redactor) error {
	if redact.LooksLikeKey(root) || r.Contains(root) {
		r.AddShapes(root)
		return errors.New("the reports directory's path holds a key or a part of one (it is not shown); choose another --reports")
	}
	return nil
}
