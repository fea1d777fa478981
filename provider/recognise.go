package provider

import "fmt"
import "strings"

// Recognise names the kind of a leaked key keyir can respond to, or says
// why it cannot: a shape no provider registered (with the kinds keyir knows
// and the generic way out), a known shape whose checksum is wrong, or a
// kind without a response playbook. It is the one refusal `keyir respond`,
// `keyir respond --from` and `/keyir revoke` give; no message quotes any
// part of the key (the caller registers it with the redactor first).
func Recognise(key string) (Recognised, error) {
	r, ok := Identify(key)
	switch {
	case !ok:
		return r, unrecognised("the leaked key", shapeHint(key))
	case !r.ChecksumOK:
		return r, fmt.Errorf("the leaked key looks like %s but its checksum does not match: mistyped, truncated or not a real token (it is not shown)", r.Named())
	case r.Playbook == "":
		return r, fmt.Errorf("this is %s, and keyir has no response for it: revoke it in %s, then record it with keyir run generic-key-revoke", r.Named(), r.Revoke)
	}
	return r, nil
}

// Unrecognised is the refusal of a key of no shape keyir knows: the kinds
// it knows, and the way out for any other key. what names the key ("the
// leaked key").
func Unrecognised(what string) error { return unrecognised(what, "") }

// unrecognised is Unrecognised with a hint (shapeHint) after "not shown".
func unrecognised(what, hint string) error {
	return fmt.Errorf("%s has no shape keyir knows (it is not shown)%s; keyir responds to %s. For any other key, revoke it where it was issued, or with one request through keyir run generic-key-revoke --input revoke_url=URL --input revoke_host=HOST (token in REVOKE_TOKEN; see keyir playbooks)",
		what, hint, KnownKinds())
}

// KnownKinds lists the kinds keyir responds to, by name and prefix:
// "SendGrid API key (SG.…), …".
func KnownKinds() string {
	var names []string
	for _, k := range Kinds() {
		if k.Playbook != "" {
			names = append(names, fmt.Sprintf("%s (%s…)", k.Human, k.Prefix))
		}
	}
	if len(names) == 0 {
		return "no kind of key (no provider is linked)"
	}
	return strings.Join(names, ", ")
}
