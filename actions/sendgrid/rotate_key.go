package sendgrid

import "context"
import "errors"
import "fmt"
import "io"
import "io/fs"
import "os"
import "os/exec"
import "regexp"
import "slices"
import "sort"
import "strings"
import "time"
import "unicode"
import "unicode/utf8"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"
import "github.com/sendgrid/rest"

// rotateKeyInfo declares sendgrid.rotate_key; provider.go registers it.
var rotateKeyInfo = actions.Info{
	Name:    "sendgrid.rotate_key",
	Summary: "Create a replacement key with the same name and scopes; its secret goes only to a 0600 file or a command's stdin",
	Mutates: true,
	Outputs: []actions.Output{
		{Name: "new_key_id", Type: actions.TypeString, Description: "id of the replacement key (never its secret)"},
		actions.PlannedOutput,
	},
	New: func() actions.Action { return new(Rotate) },
}

// Rotate creates a replacement for a revoked key.
type Rotate struct {
	KeyID         string   `param:"key_id,required" desc:"id of the key being replaced (its name and scopes are copied)"`
	Name          string   `param:"name" desc:"name of the old key, when it is already gone (default: read it)"`
	Scopes        []string `param:"scopes" desc:"scopes of the old key, when it is already gone (default: read them)"`
	SecretFile    string   `param:"secret_file" desc:"new file (created 0600, never overwritten) that receives the new secret"`
	SecretCommand string   `param:"secret_command" desc:"command (split on blanks, run without a shell) that receives the new secret on stdin, e.g. a vault writer"`
	Subuser       string   `param:"subuser" desc:"subuser that owns the key (on-behalf-of)"`
	Region        string   `param:"region" default:"global" desc:"global or eu"`
}

// Validate requires exactly one destination for the secret.
func (a *Rotate) Validate() error {
	if err := checkKeyID("key_id", a.KeyID); err != nil {
		return err
	}
	if (a.SecretFile == "") == (strings.TrimSpace(a.SecretCommand) == "") {
		return &actions.ParamError{Msg: "give exactly one of secret_file and secret_command: the new secret goes nowhere else"}
	}
	return checkRegion(a.Region)
}

// Run creates the key and hands over its secret.
func (a *Rotate) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	acct := assessAccount(env, a.KeyID, a.Subuser, a.Region)
	name, scopes := a.Name, a.Scopes
	if name == "" || len(scopes) == 0 {
		c, err := newAccountClient(env, acct)
		if err != nil {
			return nil, err
		}
		k, err := getKey(ctx, c, a.KeyID)
		if err != nil {
			if statusOf(err) == 404 {
				return nil, fmt.Errorf("key %s no longer exists: pass name and scopes to rotate it", a.KeyID)
			}
			return nil, err
		}
		if name == "" {
			name = k.Name
		}
		if len(scopes) == 0 {
			scopes = k.Scopes
		}
	}
	if _, err := GrantableScopes(scopes); err != nil {
		return nil, fmt.Errorf("key %s: %w", a.KeyID, err)
	}
	var deliver func(context.Context, string) error
	var f *os.File
	if a.SecretFile != "" {
		if env.DryRun() {
			if _, err := os.Lstat(a.SecretFile); err == nil {
				return nil, fmt.Errorf("secret_file %s exists already: keyir never overwrites a file with a secret", a.SecretFile)
			}
		} else {
			// Created before the key exists, so there is always somewhere to put it.
			var err error
			if f, err = CreateSecretFile(a.SecretFile); err != nil {
				return nil, fmt.Errorf("secret_file: %w", err)
			}
		}
		deliver = func(_ context.Context, secret string) error { return WriteSecretFile(f, secret) }
	} else {
		argv := strings.Fields(a.SecretCommand)
		if _, err := exec.LookPath(argv[0]); err != nil {
			return nil, fmt.Errorf("secret_command: %w", err)
		}
		deliver = func(ctx context.Context, secret string) error {
			var stderr strings.Builder
			err := SecretToCommand(ctx, argv, nil, secret, io.Discard, &stderr)
			if err != nil {
				return fmt.Errorf("%w: %s", err, env.Redactor.String(strings.TrimSpace(stderr.String())))
			}
			return nil
		}
	}
	rep, err := CreateReplacement(ctx, env, ReplacementRequest{Account: acct, Name: name, Scopes: scopes, Deliver: deliver})
	if err != nil {
		if f != nil {
			f.Close()
			os.Remove(a.SecretFile)
		}
		if rep.ID != "" {
			return actions.Outputs{"new_key_id": rep.ID, "planned": false}, err
		}
		return nil, err
	}
	if rep.Planned {
		return actions.Outputs{"new_key_id": "", "planned": true}, nil
	}
	return actions.Outputs{"new_key_id": rep.ID, "planned": false}, nil
}

// MaxKeyName bounds a replacement key's name. The spec states no maximum;
// 100 characters is keyir's own, conservative bound, so that a long original
// name cannot make the creation fail after the operator confirmed it. The
// original's name is shortened, never the date suffix.
const MaxKeyName = 100

// rotatedSuffix matches the suffix an earlier rotation added, so rotating a
// replacement again does not stack dates.
var rotatedSuffix = regexp.MustCompile(`\s*\(rotated \d{4}-\d{2}-\d{2}\)$`)

// ReplacementName is the original's name plus " (rotated YYYY-MM-DD)" (UTC),
// within MaxKeyName characters. Control characters (a hostile name could
// carry terminal escapes) become spaces.
func ReplacementName(original string, now time.Time) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, original)
	clean = strings.TrimSpace(rotatedSuffix.ReplaceAllString(strings.TrimSpace(clean), ""))
	if clean == "" {
		clean = "api key"
	}
	suffix := " (rotated " + now.UTC().Format(time.DateOnly) + ")"
	room := MaxKeyName - utf8.RuneCountInString(suffix)
	if r := []rune(clean); len(r) > room {
		clean = strings.TrimSpace(string(r[:room-1])) + "…"
	}
	return clean + suffix
}

// ErrNoScopes is the refusal to create a key without scopes.
var ErrNoScopes = errors.New("no scopes recorded to copy: refusing to create a replacement, since SendGrid makes a key created without scopes a full-access key")

// GrantableScopes is the scope list a replacement is created with: the
// recorded scopes, trimmed, without pseudo-scopes (2fa_required … mark an
// account state and cannot be granted), sorted, without duplicates. An
// empty result is ErrNoScopes: an omitted or null "scopes" would create a
// full-access key, so nothing ever sends one.
func GrantableScopes(scopes []string) ([]string, error) {
	out := []string{}
	for _, s := range scopes {
		if s = strings.TrimSpace(s); s != "" && !IsPseudoScope(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoScopes
	}
	sort.Strings(out)
	return out, nil
}

// broader lists the real scopes of got that want does not hold.
func broader(got, want []string) []string {
	var extra []string
	for _, s := range got {
		if !IsPseudoScope(s) && !slices.Contains(want, s) {
			extra = append(extra, s)
		}
	}
	return extra
}

// ReplacementRequest says what to create and where its secret goes.
type ReplacementRequest struct {
	Account Account // the account that held the original (on-behalf-of)
	Name    string  // the original's name
	Scopes  []string
	// Deliver hands the secret to its one destination; when it fails the
	// new key is deleted again (a key nobody holds is only a liability).
	Deliver func(ctx context.Context, secret string) error
}

// Replacement is a created key: everything about it but its secret.
type Replacement struct {
	ID          string   `json:"api_key_id"`
	Name        string   `json:"name"`
	Scopes      []string `json:"scopes"`
	KeyType     string   `json:"key_type"`
	Fingerprint string   `json:"fingerprint,omitempty"`
	Account     Account  `json:"account"`
	// Planned: a dry run; the creation was refused at the transport.
	Planned bool `json:"planned,omitempty"`
}

// createKeyBody is POST /v3/api_keys. Scopes has no omitempty: the body
// always names them (and GrantableScopes never lets the list be empty).
type createKeyBody struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// CreateReplacement creates a key with exactly the grantable scopes of
// req.Scopes in req.Account, registers its secret with the redactor the
// moment the answer is decoded, checks the answer and a read-back of the key
// for any scope beyond those asked for, then delivers the secret. Any
// failure after the creation deletes the new key again; when even that
// fails, the error says so and the Replacement names the key to delete.
func CreateReplacement(ctx context.Context, env *actions.Env, req ReplacementRequest) (Replacement, error) {
	scopes, err := GrantableScopes(req.Scopes)
	if err != nil {
		return Replacement{}, err
	}
	if req.Deliver == nil && !env.DryRun() {
		return Replacement{}, errors.New("the new secret has no destination")
	}
	out := Replacement{Name: ReplacementName(req.Name, nowOf(env)), Scopes: scopes, KeyType: KeyType(scopes), Account: req.Account}
	c, err := newAccountClient(env, req.Account)
	if err != nil {
		return out, err
	}
	var created struct {
		APIKey   string   `json:"api_key"`
		APIKeyID string   `json:"api_key_id"`
		Scopes   []string `json:"scopes"`
	}
	_, err = c.call(ctx, rest.Post, "/v3/api_keys", createKeyBody{Name: out.Name, Scopes: scopes}, &created)
	if env.Redactor != nil {
		env.Redactor.Add(created.APIKey) // before anything else touches it
	}
	if err != nil {
		if isDryRun(err) {
			out.Planned = true
			return out, nil
		}
		return out, fmt.Errorf("creating the replacement in %s: %w", req.Account, err)
	}
	out.ID = created.APIKeyID
	// From here on a failure leaves a key nobody should hold: delete it.
	undo := func(why error) (Replacement, error) {
		if out.ID == "" || !keyIDRE.MatchString(out.ID) {
			return Replacement{}, fmt.Errorf("%w; SendGrid returned no usable key id: look for a key named %q in %s and delete it by hand", why, out.Name, req.Account)
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, derr := c.call(dctx, rest.Delete, "/v3/api_keys/"+escape(out.ID), nil, nil); derr != nil && statusOf(derr) != 404 {
			return out, fmt.Errorf("%w; deleting the new key %s failed too (%v): delete it by hand", why, out.ID, derr)
		}
		note(env, fmt.Sprintf("new key %s deleted again: %v", out.ID, why))
		return Replacement{}, fmt.Errorf("%w; the new key %s was deleted again", why, out.ID)
	}
	if created.APIKey == "" || !keyIDRE.MatchString(created.APIKeyID) {
		return undo(errors.New("SendGrid created a key but returned no secret or no valid id"))
	}
	if extra := broader(created.Scopes, scopes); len(extra) > 0 {
		return undo(fmt.Errorf("SendGrid created the key with scopes beyond those asked for (%s)", strings.Join(extra, ", ")))
	}
	// Read back: the key as SendGrid holds it, not as the creation echoed it.
	back, err := getKey(ctx, c, out.ID)
	if err != nil {
		return undo(fmt.Errorf("reading the new key back: %w", err))
	}
	if extra := broader(back.Scopes, scopes); len(extra) > 0 {
		return undo(fmt.Errorf("the new key holds scopes beyond those asked for (%s)", strings.Join(extra, ", ")))
	}
	if missing := broader(scopes, back.Scopes); len(missing) > 0 {
		note(env, fmt.Sprintf("the new key %s lacks %d of the requested scopes (%s): SendGrid did not grant them", out.ID, len(missing), strings.Join(missing, ", ")))
		out.Scopes = nonPseudo(back.Scopes)
		out.KeyType = KeyType(back.Scopes)
	}
	if env.DryRun() || req.Deliver == nil {
		return undo(errors.New("the new secret has no destination"))
	}
	if err := req.Deliver(ctx, created.APIKey); err != nil {
		return undo(fmt.Errorf("the new secret could not be delivered: %w", err))
	}
	out.Fingerprint = redact.Fingerprint(created.APIKey)
	note(env, fmt.Sprintf("replacement key %s %q created in %s with %d scopes (fingerprint %s); its secret was delivered only to its destination", out.ID, out.Name, req.Account, len(out.Scopes), out.Fingerprint))
	return out, nil
}

func nonPseudo(scopes []string) []string {
	out := []string{}
	for _, s := range scopes {
		if !IsPseudoScope(s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// CreateSecretFile creates path to receive a new secret: exclusively
// (O_EXCL: an existing file, or a link in its place, is refused, never
// followed or overwritten), through safefile (O_NOFOLLOW, a regular file),
// mode exactly 0600.
func CreateSecretFile(path string) (*os.File, error) {
	f, err := safefile.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s exists already: keyir never overwrites a file with a secret (choose a new path)", path)
		}
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// WriteSecretFile writes the secret and a newline to a file from
// CreateSecretFile, syncs and closes it.
func WriteSecretFile(f *os.File, secret string) error {
	_, err := f.WriteString(secret + "\n")
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// SecretToCommand runs argv (no shell) with the secret and a newline on its
// standard input. environ is its environment (nil: keyir's own); stdout and
// stderr receive its output, which the caller passes through the redactor.
func SecretToCommand(ctx context.Context, argv, environ []string, secret string, stdout, stderr io.Writer) error {
	if len(argv) == 0 {
		return errors.New("no command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = environ
	cmd.Stdin = strings.NewReader(secret + "\n")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", argv[0], err)
	}
	return nil
}

var (
	_ actions.Action    = (*Rotate)(nil)
	_ actions.Validator = (*Rotate)(nil)
)
